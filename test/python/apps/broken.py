"""An app module that fails to import."""

raise RuntimeError("this app is broken on purpose")
