"""Two-layer stacked Mogrifier LSTM language model built on nn.LSTMCell.

PATTERN: each layer wraps a built-in `nn.LSTMCell`; before every cell call the input `x` and the
previous hidden state `h` "mogrify" each other for 5 alternating rounds:
odd rounds `x = 2 * torch.sigmoid(self.q(h)) * x`, even rounds `h = 2 * torch.sigmoid(self.r(x)) * h`.
The time loop lives in the TOP module's forward; `nn.Dropout` sits between layers (eval mode, so
it returns its input object unchanged); each layer's (h, c) is carried to the next time step.
The output head uses a parameter-free `nn.Tanh()` module called once.

TRUTHS a correct diagram must show (B=2, T=5, emb 12, hidden 16):
- `embedding` runs once on `tokens`; `dropout` then returns that same tensor (eval); step t reads
  `emb[:, t]`.
- For each of the 5 steps and each layer `layers.0` / `layers.1`: `q` runs 3 times (rounds 1, 3, 5)
  and `r` runs 2 times (rounds 2, 4); so per layer q runs 15 and r 10 times in total, and `cell`
  runs 5 times. Round k reads the x/h produced by round k-1 (the chain alternates q -> r -> q ...).
- The cell's input is the MOGRIFIED x (after round 5) and its hidden input is the mogrified h
  (after round 4), NOT the raw previous h; the previous `c` goes into the cell untouched.
- `layers.0`'s new h at step t (through the pass-through `dropout`) is `layers.1`'s x at step t.
- Loop-carried: `states[i] = (h, c)` from `layers.i.cell` at step t feeds `layers.i` at step t+1
  (h into `q` of round 1, c into `cell`); at step 0 they come from `zeros`.
- `layers.1`'s h of every step is collected and `torch.stack`ed -> [2, 5, 16]; then `head` ->
  `activation` (nn.Tanh, ONE call) -> `decoder` -> logits [2, 5, vocab].
"""

import torch
import torch.nn as nn


class MogrifierLSTMLayer(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, mogrify_rounds: int = 5):
        super().__init__()
        self.hidden_size = hidden_size
        self.mogrify_rounds = mogrify_rounds
        self.q = nn.Linear(hidden_size, input_size)  # h -> gate on x
        self.r = nn.Linear(input_size, hidden_size)  # x -> gate on h
        self.cell = nn.LSTMCell(input_size, hidden_size)

    def mogrify(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i in range(1, self.mogrify_rounds + 1):
            if i % 2 == 1:
                x = 2 * torch.sigmoid(self.q(h)) * x
            else:
                h = 2 * torch.sigmoid(self.r(x)) * h
        return x, h

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        h, c = state
        x, h = self.mogrify(x, h)
        h, c = self.cell(x, (h, c))
        return h, c


class MogrifierLM(nn.Module):
    def __init__(self, vocab: int = 40, emb_dim: int = 12, hidden: int = 16, dropout: float = 0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim)
        self.layers = nn.ModuleList(
            [
                MogrifierLSTMLayer(emb_dim, hidden),
                MogrifierLSTMLayer(hidden, hidden),
            ]
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, hidden)
        self.activation = nn.Tanh()
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        batch, steps = tokens.shape
        emb = self.dropout(self.embedding(tokens))
        states: list[tuple[torch.Tensor, torch.Tensor]] = [
            (emb.new_zeros(batch, layer.hidden_size), emb.new_zeros(batch, layer.hidden_size)) for layer in self.layers
        ]
        outputs = []
        for t in range(steps):
            layer_input = emb[:, t]
            for i, layer in enumerate(self.layers):
                h, c = layer(layer_input, states[i])
                states[i] = (h, c)
                if i < len(self.layers) - 1:
                    layer_input = self.dropout(h)
                else:
                    layer_input = h
            outputs.append(layer_input)
        hidden_seq = torch.stack(outputs, dim=1)
        return self.decoder(self.activation(self.head(hidden_seq)))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return MogrifierLM().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 40, (2, 5), generator=g)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        logits = model(example_inputs())
    print("logits", tuple(logits.shape))
