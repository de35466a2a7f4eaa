"""cosmotransfer — the package behind the book "Transfer Learning Beyond the Standard Model".

Data flows one way: suite design (:mod:`.suites`) → simulation (:mod:`.simulate`, with the
``emulated`` and ``simulated`` tiers) → summaries file (:mod:`.data`) → dataset → model →
results table → figure.
"""
__version__ = "0.1.0"
