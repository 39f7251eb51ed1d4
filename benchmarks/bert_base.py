"""A BERT-base-shaped encoder (bert-base-uncased layout), with real random weights on CPU.

Shaped after Google's BERT-base as laid out by the usual PyTorch port: `embeddings` (word +
position + token-type embeddings, `LayerNorm`, `dropout`), `encoder.layer.N` × 12 and a `pooler`.
Each layer: `attention.self.{query,key,value}` Linears reshaped/permuted to 12 heads of 64, scaled
dot-product scores plus the additive mask, softmax, dropout, context permuted back;
`attention.output.dense` + dropout + residual `LayerNorm`; `intermediate.dense` + GELU;
`output.dense` + dropout + residual `LayerNorm`. The pooler applies `dense` + tanh to token 0.

Configuration: 12 layers, hidden 768, 12 heads, intermediate 3072, vocabulary 30522, 512
positions, 2 token types, LayerNorm eps 1e-12, weights N(0, 0.02). Parameters: 109,482,240.

`forward(input_ids, attention_mask, token_type_ids)` takes keyword arguments and returns
`{"last_hidden_state": [b, t, 768], "pooler_output": [b, 768]}`; `example_inputs()` gives batch 2,
sequence 32, the second sequence padded after 20 tokens.

What the diagram should show: 12 identical `encoder.layer.N` blocks; an extended attention mask
`(1 - mask[:, None, None, :]) · finfo.min` built ONCE in the top forward and passed to every layer;
the position ids sliced from a buffer; two residual LayerNorms per layer; the pooler reading only
token 0 of the last hidden state.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

VOCAB = 30522
HIDDEN = 768
LAYERS = 12
HEADS = 12
INTERMEDIATE = 3072
MAX_POSITIONS = 512
TYPE_VOCAB = 2
LN_EPS = 1e-12
DROPOUT = 0.1


class BertEmbeddings(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.token_type_embeddings = nn.Embedding(TYPE_VOCAB, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.dropout = nn.Dropout(DROPOUT)
        self.register_buffer("position_ids", torch.arange(MAX_POSITIONS).unsqueeze(0), persistent=False)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        seq_len = input_ids.shape[1]
        position_ids = self.position_ids[:, :seq_len]
        embeddings = self.word_embeddings(input_ids)
        embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.num_attention_heads = HEADS
        self.attention_head_size = HIDDEN // HEADS
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.dropout = nn.Dropout(DROPOUT)

    def split_heads(self, x: Tensor) -> Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.num_attention_heads, self.attention_head_size).permute(0, 2, 1, 3)

    def forward(self, hidden_states: Tensor, attention_mask: Tensor) -> Tensor:
        query = self.split_heads(self.query(hidden_states))
        key = self.split_heads(self.key(hidden_states))
        value = self.split_heads(self.value(hidden_states))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        scores = scores + attention_mask  # [b, 1, 1, t]: 0 for tokens, finfo.min for padding
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        context = torch.matmul(probs, value).permute(0, 2, 1, 3).contiguous()
        b, t = context.shape[:2]
        return context.view(b, t, self.num_attention_heads * self.attention_head_size)


class BertSelfOutput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self = BertSelfAttention()
        self.output = BertSelfOutput()

    def forward(self, hidden_states: Tensor, attention_mask: Tensor) -> Tensor:
        return self.output(self.self(hidden_states, attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(HIDDEN, INTERMEDIATE)
        self.intermediate_act_fn = nn.GELU()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(INTERMEDIATE, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attention = BertAttention()
        self.intermediate = BertIntermediate()
        self.output = BertOutput()

    def forward(self, hidden_states: Tensor, attention_mask: Tensor) -> Tensor:
        attention_output = self.attention(hidden_states, attention_mask)
        return self.output(self.intermediate(attention_output), attention_output)


class BertEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer() for _ in range(LAYERS))

    def forward(self, hidden_states: Tensor, attention_mask: Tensor) -> Tensor:
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states, attention_mask)
        return hidden_states


class BertPooler(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))


class BertModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embeddings = BertEmbeddings()
        self.encoder = BertEncoder()
        self.pooler = BertPooler()
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()

    @staticmethod
    def get_extended_attention_mask(attention_mask: Tensor, dtype: torch.dtype) -> Tensor:
        """[b, t] of 1/0 → [b, 1, 1, t] of 0 / finfo.min, broadcast over heads and query positions."""
        extended = attention_mask[:, None, None, :].to(dtype)
        return (1.0 - extended) * torch.finfo(dtype).min

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
    ) -> dict[str, Tensor]:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        embedding_output = self.embeddings(input_ids, token_type_ids)
        extended_attention_mask = self.get_extended_attention_mask(attention_mask, embedding_output.dtype)  # once
        sequence_output = self.encoder(embedding_output, extended_attention_mask)
        return {"last_hidden_state": sequence_output, "pooler_output": self.pooler(sequence_output)}


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return BertModel().eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    batch, seq = 2, 32
    input_ids = torch.randint(1000, VOCAB, (batch, seq))
    input_ids[:, 0] = 101  # [CLS]
    attention_mask = torch.ones(batch, seq, dtype=torch.long)
    attention_mask[1, 20:] = 0  # the second sequence is 20 tokens, then padding
    input_ids[1, 19] = 102  # [SEP]
    input_ids[1, 20:] = 0  # [PAD]
    input_ids[0, seq - 1] = 102
    token_type_ids = torch.zeros(batch, seq, dtype=torch.long)
    token_type_ids[0, 16:] = 1  # a sentence pair in the first sequence
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


if __name__ == "__main__":
    from smoke import main

    main(build_model, example_inputs)
