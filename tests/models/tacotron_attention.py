"""Tacotron2-style decoder loop with location-sensitive attention (teacher forced, 5 steps).

PATTERN: a prenet (Linear -> `F.relu` -> dropout, twice) applied to all teacher-forcing frames
at once; then a Python loop of 5 decoder steps: attention RNN (nn.LSTMCell), location-sensitive
attention (Conv1d over stacked [previous weights, cumulative weights] -> Linear, summed with the
processed query and memory inside `torch.tanh`, then Linear `v` to a scalar energy), a running
sum `attention_weights_cum = attention_weights_cum + attention_weights`, the attention context
carried into the next step, a decoder RNN (nn.LSTMCell) and a Linear projection to mel frames.
Prenet dropout follows the module mode (eval -> identity) so runs are deterministic.

TRUTHS a correct diagram must show (B=2, text length L=6, 8 mel channels, 5 steps):
- `encoder.embedding` -> `encoder.lstm` (bidirectional, one call) -> `memory` [B, L, 16].
- `decoder.attention.memory_layer` runs ONCE on `memory` (`processed_memory`), before the loop.
- `decoder.prenet.layers.0` / `.1` each run ONCE, on the whole [go frame; mel_targets[..., :-1]]
  sequence; step t reads slice `prenet_out[t]`.
- Per step (5x each): `decoder.attention_rnn` input = cat(prenet_out[t], attention_context from
  step t-1); `decoder.attention.query_layer` reads attention_rnn's hidden;
  `decoder.attention.location_layer.location_conv` reads cat(attention_weights of step t-1,
  attention_weights_cum); `location_dense` follows it; `torch.tanh` combines query, location and
  `processed_memory`; `decoder.attention.v` -> masked_fill(padding) -> softmax -> bmm with
  `memory` -> new `attention_context`.
- Loop-carried: (attention_hidden, attention_cell) of `attention_rnn`; (decoder_hidden,
  decoder_cell) of `decoder_rnn`; `attention_weights`; `attention_weights_cum`, whose value at
  step t is zeros + the sum of the weights of steps 0..t-1 (one add per step);
  `attention_context` (it feeds `attention_rnn` and `decoder_rnn` at step t and
  `attention_rnn` at step t+1). All start from `zeros` at step 0.
- `decoder.decoder_rnn` input = cat(attention_hidden, attention_context); `decoder.linear_projection`
  reads cat(decoder_hidden, attention_context). Outputs: mel_outputs [B, 8, 5] (stack of the 5
  projections) and alignments [B, 5, L] (stack of the 5 attention_weights).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Prenet(nn.Module):
    def __init__(self, in_dim: int, sizes=(16, 16), p: float = 0.5):
        super().__init__()
        in_sizes = [in_dim, *sizes[:-1]]
        self.layers = nn.ModuleList(nn.Linear(i, o, bias=False) for i, o in zip(in_sizes, sizes, strict=True))
        self.p = p

    def forward(self, x):
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=self.p, training=self.training)
        return x


class LocationLayer(nn.Module):
    def __init__(self, n_filters: int, kernel_size: int, attention_dim: int):
        super().__init__()
        self.location_conv = nn.Conv1d(2, n_filters, kernel_size, padding=(kernel_size - 1) // 2, bias=False)
        self.location_dense = nn.Linear(n_filters, attention_dim, bias=False)

    def forward(self, attention_weights_cat):
        processed = self.location_conv(attention_weights_cat).transpose(1, 2)
        return self.location_dense(processed)


class LocationSensitiveAttention(nn.Module):
    def __init__(self, rnn_dim: int, memory_dim: int, attention_dim: int, n_filters: int, kernel_size: int):
        super().__init__()
        self.query_layer = nn.Linear(rnn_dim, attention_dim, bias=False)
        self.memory_layer = nn.Linear(memory_dim, attention_dim, bias=False)
        self.v = nn.Linear(attention_dim, 1, bias=False)
        self.location_layer = LocationLayer(n_filters, kernel_size, attention_dim)

    def forward(self, query, memory, processed_memory, attention_weights_cat, pad_mask):
        processed_query = self.query_layer(query.unsqueeze(1))
        processed_location = self.location_layer(attention_weights_cat)
        energies = self.v(torch.tanh(processed_query + processed_location + processed_memory)).squeeze(-1)
        energies = energies.masked_fill(pad_mask, float("-inf"))
        attention_weights = F.softmax(energies, dim=1)
        attention_context = torch.bmm(attention_weights.unsqueeze(1), memory).squeeze(1)
        return attention_context, attention_weights


class Decoder(nn.Module):
    def __init__(self, n_mels: int = 8, memory_dim: int = 16, rnn_dim: int = 24, attention_dim: int = 12):
        super().__init__()
        self.n_mels = n_mels
        self.prenet = Prenet(n_mels)
        self.attention_rnn = nn.LSTMCell(16 + memory_dim, rnn_dim)
        self.attention = LocationSensitiveAttention(rnn_dim, memory_dim, attention_dim, n_filters=4, kernel_size=3)
        self.decoder_rnn = nn.LSTMCell(rnn_dim + memory_dim, rnn_dim)
        self.linear_projection = nn.Linear(rnn_dim + memory_dim, n_mels)

    def forward(self, memory, mel_targets, pad_mask):
        B, L, _ = memory.shape
        go_frame = memory.new_zeros(B, self.n_mels, 1)
        decoder_inputs = torch.cat([go_frame, mel_targets[:, :, :-1]], dim=2).permute(2, 0, 1)
        prenet_out = self.prenet(decoder_inputs)  # [T, B, 16]
        processed_memory = self.attention.memory_layer(memory)

        rnn_dim = self.attention_rnn.hidden_size
        attention_hidden, attention_cell = memory.new_zeros(B, rnn_dim), memory.new_zeros(B, rnn_dim)
        decoder_hidden, decoder_cell = memory.new_zeros(B, rnn_dim), memory.new_zeros(B, rnn_dim)
        attention_weights = memory.new_zeros(B, L)
        attention_weights_cum = memory.new_zeros(B, L)
        attention_context = memory.new_zeros(B, memory.size(2))

        mel_outputs, alignments = [], []
        for t in range(prenet_out.size(0)):
            cell_input = torch.cat((prenet_out[t], attention_context), -1)
            attention_hidden, attention_cell = self.attention_rnn(cell_input, (attention_hidden, attention_cell))
            attention_weights_cat = torch.cat(
                (attention_weights.unsqueeze(1), attention_weights_cum.unsqueeze(1)), dim=1
            )
            attention_context, attention_weights = self.attention(
                attention_hidden, memory, processed_memory, attention_weights_cat, pad_mask
            )
            attention_weights_cum = attention_weights_cum + attention_weights
            decoder_input = torch.cat((attention_hidden, attention_context), -1)
            decoder_hidden, decoder_cell = self.decoder_rnn(decoder_input, (decoder_hidden, decoder_cell))
            mel_outputs.append(self.linear_projection(torch.cat((decoder_hidden, attention_context), dim=1)))
            alignments.append(attention_weights)
        return torch.stack(mel_outputs, dim=2), torch.stack(alignments, dim=1)


class TextEncoder(nn.Module):
    def __init__(self, n_symbols: int = 30, dim: int = 16):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, dim)
        self.lstm = nn.LSTM(dim, dim // 2, batch_first=True, bidirectional=True)

    def forward(self, text):
        memory, _ = self.lstm(self.embedding(text))
        return memory


class MiniTacotron(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = TextEncoder()
        self.decoder = Decoder()

    def forward(self, text: torch.Tensor, text_lengths: torch.Tensor, mel_targets: torch.Tensor):
        memory = self.encoder(text)
        pad_mask = torch.arange(text.size(1))[None, :] >= text_lengths[:, None]
        return self.decoder(memory, mel_targets, pad_mask)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return MiniTacotron().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    text = torch.randint(1, 30, (2, 6), generator=g)
    text_lengths = torch.tensor([6, 4])
    mel_targets = torch.randn(2, 8, 5, generator=g)
    return text, text_lengths, mel_targets


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        mels, alignments = model(*example_inputs())
    print("mel_outputs", tuple(mels.shape), "alignments", tuple(alignments.shape))
