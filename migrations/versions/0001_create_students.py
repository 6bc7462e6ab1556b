"""Create the students table

Revision ID: 0001_create_students
Revises: (none)
Create Date: 2026-11-28 07:48:45.942450

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_create_students'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('students',
    sa.Column('username', sa.String(length=30), nullable=False),
    sa.Column('schedule', sa.String(length=98), nullable=False),
    sa.Column('edit_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(schedule) = 98', name='ck_students_schedule_length'),
    sa.CheckConstraint('username = lower(username)', name='ck_students_username_lowercase'),
    sa.PrimaryKeyConstraint('username')
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_updated_at'), ['updated_at'], unique=False)



def downgrade():
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_updated_at'))

    op.drop_table('students')
