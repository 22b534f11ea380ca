"""The policy: YAML → schema-checked typed objects (:mod:`.load`), and its gates expanded per class and slice (:mod:`.expand`)."""
