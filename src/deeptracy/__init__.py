"""DeepTracy: watches software projects for vulnerable dependencies."""

__version__ = "0.1.0"
