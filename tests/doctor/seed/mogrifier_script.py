import torch
from torch import nn


class MogrifierLSTM(nn.Module):
    def __init__(self, input_size=10, hidden_size=20, rounds=5):
        super().__init__()
        self.hidden_size = hidden_size
        self.rounds = rounds
        self.q = nn.ModuleList([nn.Linear(hidden_size, input_size) for _ in range((rounds + 1) // 2)])
        self.r = nn.ModuleList([nn.Linear(input_size, hidden_size) for _ in range(rounds // 2)])
        self.cell = nn.LSTMCell(input_size, hidden_size)

    def forward(self, input):
        # input: [seq_len, batch, input_size]
        outputs = []
        steps = input.unbind(0)
        batch = input.size(0)
        c = torch.zeros(batch, self.hidden_size)
        h = torch.zeros(batch, self.hidden_size)
        for x in steps:
            for i in range(1, self.rounds + 1):
                if i % 2:
                    x = 2 * torch.sigmoid(self.q[i // 2](h)) * x
                else:
                    h = 2 * torch.sigmoid(self.r[i // 2 - 1](x)) * h
            h, c = self.cell(x, (h, c))
            outputs.append(h)
        return torch.stack(outputs)


model = MogrifierLSTM()
x = torch.randn(5, 3, 10)
out = model(x)
print(out.shape)
