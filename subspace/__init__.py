"""subspace: find the task-relevant sub-space of pre-trained embeddings with Integrated Gradients."""

__version__ = "0.1.0"
