"""What deploy/ holds: the AWS SAM template and the Lambda package build (issue 13)."""
