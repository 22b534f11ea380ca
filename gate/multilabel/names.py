"""The multilabel metric and average names (no numpy: policy loading reads them)."""

LABEL_METRICS = ("precision", "recall", "f1", "fbeta", "jaccard")
EXAMPLE_METRICS = ("hamming_loss", "subset_accuracy", "label_ranking_average_precision", "coverage_error")
METRICS = LABEL_METRICS + EXAMPLE_METRICS
AVERAGES = ("micro", "macro", "weighted", "samples")
SCORE_METRICS = ("label_ranking_average_precision", "coverage_error")
LOWER_IS_BETTER = ("hamming_loss", "coverage_error")
