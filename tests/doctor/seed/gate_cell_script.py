import torch
from torch import nn


class GateLSTMCell(nn.Module):
    def __init__(self, input_size=8, hidden_size=16):
        super().__init__()
        self.hidden_size = hidden_size
        self.gate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x, state):
        h, c = state
        z = torch.cat([x, h], dim=1)
        i = torch.sigmoid(self.gate(z))
        f = torch.sigmoid(self.gate(z))
        o = torch.sigmoid(self.gate(z))
        g = torch.tanh(self.gate(z))
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = GateLSTMCell()
        self.out = nn.Linear(16, 5)

    def forward(self, x):
        h = torch.zeros(x.size(0), 16)
        c = torch.zeros(x.size(0), 16)
        outputs = []
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(self.out(h))
        return torch.stack(outputs, dim=1)


model = Tagger()
x = torch.randn(4, 7, 8)
print(model(x).shape)
