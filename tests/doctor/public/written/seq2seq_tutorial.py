"""An encoder-decoder with attention in the shape of the classic PyTorch seq2seq translation tutorial.

Layout: one sentence at a time, no batch axis of its own. Inputs input_tensor [S=6, 1] and
target_tensor [T=5, 1] (token ids, one per row, as the tutorial's tensorFromSentence gives).
The encoder is stepped over dim 0 of the input, one [1, 1, H] GRU step per word, and its outputs
are written into a zero [max_length=10, H] buffer; the decoder is stepped over dim 0 of the
target with teacher forcing, attending over all max_length rows. Output: log-probabilities
[T, 40], one row per target word (the tutorial feeds each row to nn.NLLLoss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MAX_LENGTH = 10
SOS_token = 0


class EncoderRNN(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, input: Tensor, hidden: Tensor) -> tuple[Tensor, Tensor]:
        embedded = self.embedding(input).view(1, 1, -1)
        output, hidden = self.gru(embedded, hidden)
        return output, hidden

    def initHidden(self) -> Tensor:
        return torch.zeros(1, 1, self.hidden_size)


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size: int, output_size: int, dropout_p: float = 0.1, max_length: int = MAX_LENGTH):
        super().__init__()
        self.hidden_size = hidden_size
        self.max_length = max_length
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attn = nn.Linear(hidden_size * 2, max_length)
        self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, input: Tensor, hidden: Tensor, encoder_outputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        embedded = self.dropout(self.embedding(input).view(1, 1, -1))
        attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
        attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output = torch.cat((embedded[0], attn_applied[0]), 1)
        output = F.relu(self.attn_combine(output).unsqueeze(0))
        output, hidden = self.gru(output, hidden)
        output = F.log_softmax(self.out(output[0]), dim=1)
        return output, hidden, attn_weights


class Translator(nn.Module):
    """The tutorial's train() loop body, minus the loss: encode word by word, decode with teacher forcing."""

    def __init__(self, input_lang_words: int = 30, output_lang_words: int = 40, hidden_size: int = 32) -> None:
        super().__init__()
        self.encoder = EncoderRNN(input_lang_words, hidden_size)
        self.decoder = AttnDecoderRNN(hidden_size, output_lang_words)

    def forward(self, input_tensor: Tensor, target_tensor: Tensor) -> Tensor:
        encoder_hidden = self.encoder.initHidden()
        input_length = input_tensor.size(0)
        target_length = target_tensor.size(0)
        encoder_outputs = torch.zeros(MAX_LENGTH, self.encoder.hidden_size)
        for ei in range(input_length):
            encoder_output, encoder_hidden = self.encoder(input_tensor[ei], encoder_hidden)
            encoder_outputs[ei] = encoder_output[0, 0]

        decoder_input = torch.tensor([[SOS_token]])
        decoder_hidden = encoder_hidden
        outputs = []
        for di in range(target_length):
            decoder_output, decoder_hidden, _ = self.decoder(decoder_input, decoder_hidden, encoder_outputs)
            outputs.append(decoder_output)
            decoder_input = target_tensor[di]  # teacher forcing
        return torch.cat(outputs, dim=0)


def build_model() -> nn.Module:
    return Translator().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    input_tensor = torch.randint(2, 30, (6, 1))
    input_tensor[-1, 0] = 1  # EOS
    target_tensor = torch.randint(2, 40, (5, 1))
    target_tensor[-1, 0] = 1
    return input_tensor, target_tensor
