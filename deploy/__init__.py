"""How GapFind is served: `make run`'s launcher (serve.py) and the scale-out configs."""
