import warnings

from django.apps import AppConfig


class DropboxConfig(AppConfig):
    name = "casedesk.dropbox"
    label = "dropbox"
    verbose_name = "SFTP drop boxes"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  registers the "dropbox.expire" deadline handler

        # asyncssh still names cryptography's DSA types when imported, and cryptography warns
        # about them on every start of the demo and `casedesk sftp`. DSA is asyncssh's affair:
        # our drop boxes use passwords over an Ed25519 host key.
        warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
