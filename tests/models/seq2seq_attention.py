"""Seq2seq translation with attention, shaped like the classic PyTorch tutorial (batch size 1).

PATTERN: an `EncoderRNN` (Embedding + nn.GRU) is called once per source token inside a Python
loop in the top model's forward; each call's output is written into a preallocated buffer with
`encoder_outputs[ei] = encoder_output[0, 0]`. An `AttnDecoderRNN` then runs a greedy loop of fixed
length `max_length`, and the argmax token `topi.squeeze().detach()` is fed back as the next step's
`decoder_input`, i.e. into `decoder.embedding`.

TRUTHS a correct diagram must show (example: source length 5, max_length 6):
- `encoder` (and so `encoder.embedding` and `encoder.gru`) runs 5 times, once per source token
  `input_tensor[ei]`; `encoder_hidden` returned by `encoder.gru` at step ei is the hidden input of
  `encoder.gru` at step ei+1; the first step's hidden comes from `torch.zeros`.
- `encoder_output[0, 0]` of every step is written into `encoder_outputs[ei]` (5 writes into one
  `torch.zeros(max_length, hidden)` buffer; rows 5.. stay zero). The decoder's `torch.bmm` reads
  `encoder_outputs` only after all 5 writes, so an edge must run from the encoder (via the writes)
  into the bmm and on to `decoder.attn_combine`, not merely from the `zeros` allocation.
- `decoder_hidden` starts as the encoder's LAST `encoder_hidden`: edge encoder.gru -> decoder.attn
  (through `torch.cat((embedded[0], hidden[0]))`) and -> decoder.gru at decoder step 0.
- `decoder` runs 6 times. In each step: embedding -> dropout -> cat with hidden -> `attn` ->
  softmax -> bmm(attn_weights, encoder_outputs) -> cat with embedded -> `attn_combine` -> relu ->
  `gru` -> `out` -> log_softmax. `decoder.gru`'s hidden of step t feeds `attn` and `gru` at t+1.
- Greedy feedback: step t's log_softmax -> topk -> squeeze -> detach -> `decoder.embedding` at
  step t+1 (an integer, non-differentiable edge). Step 0's token is the constant SOS tensor.
- Outputs: `torch.cat` of the 6 `decoder_output`s -> [6, vocab]; `torch.cat` of the 6
  `attn_weights` -> [6, max_length].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

SOS_TOKEN = 0
MAX_LENGTH = 6


class EncoderRNN(nn.Module):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, token, hidden):
        embedded = self.embedding(token).view(1, 1, -1)
        output, hidden = self.gru(embedded, hidden)
        return output, hidden


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size: int, output_size: int, dropout_p: float = 0.1, max_length: int = MAX_LENGTH):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attn = nn.Linear(hidden_size * 2, max_length)
        self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, token, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(token).view(1, 1, -1))
        attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
        attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output = torch.cat((embedded[0], attn_applied[0]), 1)
        output = F.relu(self.attn_combine(output).unsqueeze(0))
        output, hidden = self.gru(output, hidden)
        output = F.log_softmax(self.out(output[0]), dim=1)
        return output, hidden, attn_weights


class Seq2SeqTranslator(nn.Module):
    def __init__(self, src_vocab: int = 20, tgt_vocab: int = 18, hidden_size: int = 16, max_length: int = MAX_LENGTH):
        super().__init__()
        self.hidden_size = hidden_size
        self.max_length = max_length
        self.encoder = EncoderRNN(src_vocab, hidden_size)
        self.decoder = AttnDecoderRNN(hidden_size, tgt_vocab, max_length=max_length)

    def forward(self, input_tensor: torch.Tensor):
        input_length = input_tensor.size(0)
        encoder_hidden = torch.zeros(1, 1, self.hidden_size)
        encoder_outputs = torch.zeros(self.max_length, self.hidden_size)

        for ei in range(input_length):
            encoder_output, encoder_hidden = self.encoder(input_tensor[ei], encoder_hidden)
            encoder_outputs[ei] = encoder_output[0, 0]

        decoder_input = torch.tensor([[SOS_TOKEN]])
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        for _ in range(self.max_length):
            decoder_output, decoder_hidden, attn_weights = self.decoder(decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            _, topi = decoder_output.topk(1)
            decoder_input = topi.squeeze().detach()  # greedy: feed the prediction back

        return torch.cat(decoder_outputs, 0), torch.cat(attentions, 0)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return Seq2SeqTranslator().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    # source sentence of 5 tokens, shape [src_len, 1] (token ids; 1 = EOS at the end)
    sentence = torch.randint(2, 20, (4, 1), generator=g)
    return (torch.cat([sentence, torch.tensor([[1]])], 0),)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        outputs, attn = model(*example_inputs())
    print("decoder_outputs", tuple(outputs.shape), "attentions", tuple(attn.shape))
