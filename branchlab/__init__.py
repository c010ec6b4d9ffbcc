"""branchlab: the command line and file edges above :mod:`sim` and :mod:`optimize`."""

__version__ = "0.1.0"
