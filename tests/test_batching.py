"""The training batches: the baseline's DataLoader draws without the DataLoader (issue 22 item 8)."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from subspace.decoder import pad_batch
from subspace.train import PaddedBatches, index_batches


@pytest.mark.parametrize("n,batch_size,shuffle", [(37, 8, True), (37, 8, False), (16, 16, True), (5, 64, True)])
def test_index_batches_are_the_dataloaders_with_the_same_draws_from_the_global_generator(n, batch_size, shuffle):
    torch.manual_seed(7)
    expected = [b.numpy() for b in DataLoader(range(n), batch_size=batch_size, shuffle=shuffle)]
    after_loader = torch.rand(3)  # the next draws (dropout masks) depend on what the loader took
    torch.manual_seed(7)
    ours = index_batches(n, batch_size, shuffle)
    assert [b.tolist() for b in ours] == [b.tolist() for b in expected]
    assert torch.equal(torch.rand(3), after_loader)


def test_padded_batches_equal_padding_each_batch_from_its_sequences():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((int(t), 6)) for t in rng.integers(1, 9, 40)]  # float64: cast like pad_batch
    seqs[3] = np.repeat(seqs[3], 5, axis=0)
    batches = PaddedBatches(seqs)
    assert len(batches) == 40
    for idx in (np.array([3, 0, 39]), np.arange(40), np.array([7]), rng.permutation(40)[:11]):
        x, lengths = batches.batch(idx)
        want_x, want_lengths = pad_batch([seqs[i] for i in idx])
        assert x.dtype == want_x.dtype == torch.float32 and x.shape == want_x.shape
        assert torch.equal(x, want_x) and torch.equal(lengths, want_lengths)
