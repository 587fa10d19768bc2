"""Security review: redirect URI and client fingerprint bound to the pending request; sign-in backoff

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('oauth_pending', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redirect_uri', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('client_fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('failed_signins', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    with op.batch_alter_table('oauth_pending', schema=None) as batch_op:
        batch_op.drop_column('failed_signins')
        batch_op.drop_column('client_fingerprint')
        batch_op.drop_column('redirect_uri')
