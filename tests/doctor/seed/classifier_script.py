import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, vocab_size=50, embed_dim=16, hidden_size=24, num_classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return torch.softmax(self.fc(out[:, -1]), dim=-1)


model = Classifier()
tokens = torch.randint(0, 50, (4, 12))
labels = torch.randint(0, 3, (4,))
criterion = nn.CrossEntropyLoss()
probs = model(tokens)
loss = criterion(probs, labels)
print(loss.item())
