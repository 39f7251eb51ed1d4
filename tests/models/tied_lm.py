"""Word-level LSTM language model with tied input/output embeddings (pytorch/examples style).

PATTERN: `encoder` Embedding(ntoken, ninp) -> `drop` -> 2-layer `rnn` nn.LSTM -> `drop` (the SAME
Dropout module called a second time) -> `decoder` Linear(nhid, ntoken), with weight tying
`self.decoder.weight = self.encoder.weight`. Inputs are time-major token ids [T, B] and an initial
hidden-state TUPLE (h0, c0) passed as the second positional argument.

TRUTHS a correct diagram must show (T=6, B=3, ntoken=50, ninp=nhid=16, 2 layers):
- `encoder.weight` and `decoder.weight` are ONE parameter tensor (same object, [50, 16]); parameter
  counts must count it once: 800 (shared embedding) + 4,352 (rnn) + 50 (decoder.bias) = 5,202
  parameters, not 6,002. A diagram that shows parameter sharing should link encoder and decoder.
- `drop` is one module called twice: after `encoder` and after `rnn`; in eval it passes its input
  through, so the edges are encoder -> rnn and rnn -> decoder.
- `rnn` is called ONCE (cuDNN-style multi-layer LSTM, not a Python loop); it reads the embeddings
  and the input tuple `hidden` = (h0, c0), each [2, 3, 16], and returns `output` [6, 3, 16] plus
  the new (h_n, c_n).
- `decoder` reads rnn's `output`; `.view(-1, ntoken)` then `log_softmax` -> [18, 50].
- Returned: (log-probs [18, 50], (h_n [2, 3, 16], c_n [2, 3, 16])); h_n/c_n come from `rnn`.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    def __init__(
        self,
        ntoken: int = 50,
        ninp: int = 16,
        nhid: int = 16,
        nlayers: int = 2,
        dropout: float = 0.2,
        tie_weights: bool = True,
    ):
        super().__init__()
        self.ntoken = ntoken
        self.nhid = nhid
        self.nlayers = nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("tied weights need nhid == ninp")
            self.decoder.weight = self.encoder.weight
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int) -> tuple[torch.Tensor, torch.Tensor]:
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return RNNModel().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 50, (6, 3), generator=g)  # [T, B]
    hidden = (torch.randn(2, 3, 16, generator=g) * 0.1, torch.randn(2, 3, 16, generator=g) * 0.1)
    return tokens, hidden


if __name__ == "__main__":
    model = build_model()
    assert model.decoder.weight is model.encoder.weight
    print("unique parameters", sum(p.numel() for p in model.parameters()))
    with torch.no_grad():
        log_probs, (h, c) = model(*example_inputs())
    print("log_probs", tuple(log_probs.shape), "h", tuple(h.shape), "c", tuple(c.shape))
