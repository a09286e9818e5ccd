"""ree: the rare-earth export-control warehouse's command line and loaders."""

__version__ = "0.1.0"
