"""An RNN language model in the shape of pytorch/examples' word_language_model (LSTM, tied weights).

Layout: sequence-first. Inputs: token ids [T=10, B=4] (a bptt chunk of batchified text) and the
hidden state (h, c), each [nlayers=2, B, 32], from `init_hidden(B)`. Output: log-probabilities
flattened to [T·B, 50] (rows are (t, b) pairs, as the training loop's NLLLoss expects against
targets.view(-1)) and the new hidden state, detached by the caller between chunks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RNNModel(nn.Module):
    """Encoder embedding, a recurrent module, and a decoder whose weight may be the embedding's."""

    def __init__(
        self,
        rnn_type: str,
        ntoken: int,
        ninp: int,
        nhid: int,
        nlayers: int,
        dropout: float = 0.5,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("when using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input: Tensor, hidden: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int) -> tuple[Tensor, Tensor]:
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)  # type: ignore[return-value]


def build_model() -> nn.Module:
    return RNNModel("LSTM", ntoken=50, ninp=32, nhid=32, nlayers=2, dropout=0.2, tie_weights=True).eval()


def example_inputs() -> tuple[Tensor, tuple[Tensor, Tensor]]:
    torch.manual_seed(0)
    tokens = torch.randint(0, 50, (10, 4))
    hidden = (torch.zeros(2, 4, 32), torch.zeros(2, 4, 32))
    return tokens, hidden
