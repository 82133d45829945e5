"""The ``solvency`` command line (click). Entry point: ``solvency.cli.main:main``."""
