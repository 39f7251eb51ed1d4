"""A hand-written LSTM (in the style of torchaudio Emformer's `_CustomLSTM`) inside a small model.

PATTERN: the input-to-gates projection `x2g = Linear(input, 4H)` is applied to the WHOLE sequence
at once; then, in the SAME forward, a Python loop over `gated_input.unbind(0)` adds the
recurrent projection `gates = gates + self.p2g(h)` (p2g: Linear(H, 4H, bias=False)), applies
LayerNorms, splits with `gates.chunk(4, 1)`, uses the tensor METHODS `.sigmoid()` / `.tanh()`
and updates `c = forget_gate * c + input_gate * cell_gate`, `h = output_gate * c.tanh()`.
The per-step `h` values are stacked into the output.

TRUTHS a correct diagram must show (T=6 time-major steps, B=3, H=16):
- `input_proj` runs once on `x` [6, 3, 12]; `lstm.x2g` runs ONCE on the whole sequence
  (`gated_input` [6, 3, 64]); `unbind(0)` splits it into the 6 per-step `gates`.
- `lstm.p2g` runs EXACTLY ONCE PER STEP (6 calls). At step 0 it reads the zero initial `h`
  (`x.new_zeros`); at step t>0 it reads the `h` produced at step t-1 (`output_gate * c.tanh()`).
- `lstm.gate_norm` runs once per step (6 calls) on `gates + p2g(h)`; `lstm.cell_norm` runs once per
  step (6 calls) on the new `c`.
- `c` is loop-carried: the `c` of step t (after `cell_norm`) is the `c` multiplied by
  `forget_gate` at step t+1. `h` is loop-carried into `p2g`.
- The 6 per-step `h` are `torch.stack`ed into `output` [6, 3, 16]; `output_proj` runs once on it
  -> [6, 3, 5]. The final `[h, c]` state is also returned (last step's h and c).
"""

import torch
import torch.nn as nn


class CustomLSTM(nn.Module):
    """Single-layer LSTM with optional layer norm on the gates and on the cell state."""

    def __init__(self, input_dim: int, hidden_dim: int, layer_norm: bool = True, eps: float = 1e-5):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.x2g = nn.Linear(input_dim, 4 * hidden_dim, bias=not layer_norm)
        self.p2g = nn.Linear(hidden_dim, 4 * hidden_dim, bias=False)
        if layer_norm:
            self.cell_norm = nn.LayerNorm(hidden_dim, eps=eps)
            self.gate_norm = nn.LayerNorm(4 * hidden_dim, eps=eps)
        else:
            self.cell_norm = nn.Identity()
            self.gate_norm = nn.Identity()

    def forward(self, x: torch.Tensor, state: list[torch.Tensor] | None = None):
        # x: [T, B, input_dim]
        if state is None:
            h = x.new_zeros(x.size(1), self.hidden_dim)
            c = x.new_zeros(x.size(1), self.hidden_dim)
        else:
            h, c = state

        gated_input = self.x2g(x)
        outputs = []
        for gates in gated_input.unbind(0):
            gates = gates + self.p2g(h)
            gates = self.gate_norm(gates)
            input_gate, forget_gate, cell_gate, output_gate = gates.chunk(4, 1)
            input_gate = input_gate.sigmoid()
            forget_gate = forget_gate.sigmoid()
            cell_gate = cell_gate.tanh()
            output_gate = output_gate.sigmoid()
            c = forget_gate * c + input_gate * cell_gate
            c = self.cell_norm(c)
            h = output_gate * c.tanh()
            outputs.append(h)

        output = torch.stack(outputs, dim=0)
        return output, [h, c]


class StreamingTagger(nn.Module):
    def __init__(self, in_features: int = 12, hidden: int = 16, n_tags: int = 5):
        super().__init__()
        self.input_proj = nn.Linear(in_features, hidden)
        self.lstm = CustomLSTM(hidden, hidden, layer_norm=True)
        self.output_proj = nn.Linear(hidden, n_tags)

    def forward(self, x: torch.Tensor):
        output, state = self.lstm(self.input_proj(x))
        return self.output_proj(output), state


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return StreamingTagger().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(6, 3, 12, generator=g)  # [T, B, features], time-major


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        logits, (h, c) = model(example_inputs())
    print("logits", tuple(logits.shape), "h", tuple(h.shape), "c", tuple(c.shape))
