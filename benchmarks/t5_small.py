"""A T5-small-shaped encoder–decoder with a tied, rescaled LM head; real random weights on CPU.

Shaped after Google's T5-small (t5-small, T5ForConditionalGeneration layout): a `shared` token
embedding used by `encoder.embed_tokens`, `decoder.embed_tokens` and, transposed, by `lm_head`;
`encoder.block.N` × 6 with `layer.0` = T5LayerNorm → `SelfAttention.{q,k,v,o}` → dropout →
residual and `layer.1` = T5LayerNorm → `DenseReluDense.{wi,wo}` (ReLU) → dropout → residual;
`decoder.block.N` × 6 with a causal `layer.0.SelfAttention`, `layer.1.EncDecAttention` over the
encoder output, and `layer.2.DenseReluDense`; `final_layer_norm` at the end of each stack. T5 does
not scale attention scores by 1/√d_kv (that is folded into the q init) and its layer norm is RMS
with a weight and no bias.

Configuration: d_model 512, 6 + 6 blocks, 8 heads, d_kv 64, d_ff 2048, vocabulary 32128,
32 relative-position buckets (max distance 128), eps 1e-6, T5's init (factor 1.0).
Parameters: 60,506,624 (the embedding counted once).

`forward(input_ids, decoder_input_ids, attention_mask=None)` returns logits
[b, t_dec, 32128]; `example_inputs()` gives input_ids [2, 16] and decoder_input_ids [2, 8].

What the diagram should show: `relative_attention_bias` exists only in block 0's self-attention
(encoder and decoder); the position bias it computes (bucketed relative positions → embedding →
[1, 8, q, k], plus the additive mask) is returned by block 0 and passed to blocks 1..5, which
only add it to their scores. The decoder's cross-attention bias (zeros + encoder mask) is likewise
made in block 0 and reused. The encoder output (memory) feeds the EncDecAttention k/v of every
decoder block. The head multiplies by d_model ** -0.5 and reuses the `shared` weight.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

VOCAB = 32128
D_MODEL = 512
D_KV = 64
D_FF = 2048
HEADS = 8
LAYERS = 6
NUM_BUCKETS = 32
MAX_DISTANCE = 128
EPS = 1e-6
DROPOUT = 0.1


def extended_mask(mask: Tensor, dtype: torch.dtype) -> Tensor:
    """1/0 keep mask → additive 0 / finfo.min mask."""
    return (1.0 - mask.to(dtype)) * torch.finfo(dtype).min


class T5LayerNorm(nn.Module):
    """RMS norm with a weight and no bias or mean subtraction."""

    def __init__(self, dim: int, eps: float = EPS) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, x: Tensor) -> Tensor:
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.variance_epsilon))


def relative_position_bucket(relative_position: Tensor, bidirectional: bool) -> Tensor:
    """Map key − query offsets to NUM_BUCKETS buckets: exact for small offsets, log-spaced up to MAX_DISTANCE."""
    num_buckets = NUM_BUCKETS
    buckets = torch.zeros_like(relative_position)
    if bidirectional:  # half the buckets for keys after the query
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).to(torch.long) * num_buckets
        distance = relative_position.abs()
    else:  # the decoder only looks back
        distance = -torch.clamp(relative_position, max=0)
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    log_ratio = torch.log(distance.float() / max_exact) / math.log(MAX_DISTANCE / max_exact)
    distance_if_large = max_exact + (log_ratio * (num_buckets - max_exact)).to(torch.long)
    distance_if_large = torch.clamp(distance_if_large, max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, distance_if_large)


class T5Attention(nn.Module):
    def __init__(self, has_relative_attention_bias: bool, is_decoder: bool) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.n_heads = HEADS
        self.key_value_proj_dim = D_KV
        inner = HEADS * D_KV
        self.q = nn.Linear(D_MODEL, inner, bias=False)
        self.k = nn.Linear(D_MODEL, inner, bias=False)
        self.v = nn.Linear(D_MODEL, inner, bias=False)
        self.o = nn.Linear(inner, D_MODEL, bias=False)
        self.dropout = nn.Dropout(DROPOUT)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(NUM_BUCKETS, HEADS)

    def compute_bias(self, query_length: int, key_length: int, device: torch.device) -> Tensor:
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        buckets = relative_position_bucket(memory_position - context_position, bidirectional=not self.is_decoder)
        values = self.relative_attention_bias(buckets)  # [q, k, heads]
        return values.permute(2, 0, 1).unsqueeze(0)  # [1, heads, q, k]

    def shape(self, x: Tensor) -> Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.key_value_proj_dim).transpose(1, 2)

    def forward(
        self,
        hidden_states: Tensor,
        mask: Tensor,
        key_value_states: Tensor | None = None,
        position_bias: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        b, q_len, _ = hidden_states.shape
        source = hidden_states if key_value_states is None else key_value_states
        k_len = source.shape[1]
        query = self.shape(self.q(hidden_states))
        key = self.shape(self.k(source))
        value = self.shape(self.v(source))
        scores = torch.matmul(query, key.transpose(3, 2))  # no 1/√d_kv: folded into the q init
        if position_bias is None:  # block 0 only: make the bias, later blocks get it passed in
            if self.has_relative_attention_bias:
                position_bias = self.compute_bias(q_len, k_len, scores.device)
            else:
                position_bias = torch.zeros((1, self.n_heads, q_len, k_len), dtype=scores.dtype, device=scores.device)
            position_bias = position_bias + mask
        scores = scores + position_bias
        weights = self.dropout(F.softmax(scores.float(), dim=-1).type_as(scores))
        context = torch.matmul(weights, value).transpose(1, 2).reshape(b, q_len, -1)
        return self.o(context), position_bias


class T5LayerSelfAttention(nn.Module):
    def __init__(self, has_relative_attention_bias: bool, is_decoder: bool) -> None:
        super().__init__()
        self.SelfAttention = T5Attention(has_relative_attention_bias, is_decoder)
        self.layer_norm = T5LayerNorm(D_MODEL)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, hidden_states: Tensor, mask: Tensor, position_bias: Tensor | None) -> tuple[Tensor, Tensor]:
        attended, position_bias = self.SelfAttention(self.layer_norm(hidden_states), mask, position_bias=position_bias)
        return hidden_states + self.dropout(attended), position_bias


class T5LayerCrossAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.EncDecAttention = T5Attention(has_relative_attention_bias=False, is_decoder=True)
        self.layer_norm = T5LayerNorm(D_MODEL)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(
        self, hidden_states: Tensor, key_value_states: Tensor, mask: Tensor, position_bias: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        attended, position_bias = self.EncDecAttention(
            self.layer_norm(hidden_states), mask, key_value_states=key_value_states, position_bias=position_bias
        )
        return hidden_states + self.dropout(attended), position_bias


class T5DenseActDense(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wi = nn.Linear(D_MODEL, D_FF, bias=False)
        self.wo = nn.Linear(D_FF, D_MODEL, bias=False)
        self.dropout = nn.Dropout(DROPOUT)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(self.dropout(self.act(self.wi(x))))


class T5LayerFF(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.DenseReluDense = T5DenseActDense()
        self.layer_norm = T5LayerNorm(D_MODEL)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return hidden_states + self.dropout(self.DenseReluDense(self.layer_norm(hidden_states)))


class T5Block(nn.Module):
    def __init__(self, has_relative_attention_bias: bool, is_decoder: bool) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        self.layer = nn.ModuleList([T5LayerSelfAttention(has_relative_attention_bias, is_decoder)])
        if is_decoder:
            self.layer.append(T5LayerCrossAttention())
        self.layer.append(T5LayerFF())

    def forward(
        self,
        hidden_states: Tensor,
        mask: Tensor,
        position_bias: Tensor | None = None,
        encoder_hidden_states: Tensor | None = None,
        encoder_mask: Tensor | None = None,
        encoder_decoder_position_bias: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        hidden_states, position_bias = self.layer[0](hidden_states, mask, position_bias)
        if self.is_decoder:
            assert encoder_hidden_states is not None and encoder_mask is not None
            hidden_states, encoder_decoder_position_bias = self.layer[1](
                hidden_states, encoder_hidden_states, encoder_mask, encoder_decoder_position_bias
            )
        hidden_states = self.layer[-1](hidden_states)
        return hidden_states, position_bias, encoder_decoder_position_bias


class T5Stack(nn.Module):
    def __init__(self, embed_tokens: nn.Embedding, is_decoder: bool) -> None:
        super().__init__()
        self.embed_tokens = embed_tokens  # the model's `shared` embedding
        self.is_decoder = is_decoder
        self.block = nn.ModuleList(T5Block(i == 0, is_decoder) for i in range(LAYERS))
        self.final_layer_norm = T5LayerNorm(D_MODEL)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        encoder_hidden_states: Tensor | None = None,
        encoder_attention_mask: Tensor | None = None,
    ) -> Tensor:
        hidden_states = self.dropout(self.embed_tokens(input_ids))
        dtype = hidden_states.dtype
        mask = attention_mask[:, None, None, :]  # [b, 1, 1, k]
        if self.is_decoder:  # causal: query i sees keys 0..i
            t = input_ids.shape[1]
            causal = torch.ones(t, t, dtype=attention_mask.dtype, device=input_ids.device).tril()
            mask = mask * causal[None, None]  # [b, 1, q, k]
        mask = extended_mask(mask, dtype)
        encoder_mask = None
        if encoder_attention_mask is not None:
            encoder_mask = extended_mask(encoder_attention_mask[:, None, None, :], dtype)
        position_bias = None
        encoder_decoder_position_bias = None
        for layer_module in self.block:
            hidden_states, position_bias, encoder_decoder_position_bias = layer_module(
                hidden_states,
                mask,
                position_bias,
                encoder_hidden_states,
                encoder_mask,
                encoder_decoder_position_bias,
            )
        return self.dropout(self.final_layer_norm(hidden_states))


class T5ForConditionalGeneration(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model_dim = D_MODEL
        self.shared = nn.Embedding(VOCAB, D_MODEL)
        self.encoder = T5Stack(self.shared, is_decoder=False)
        self.decoder = T5Stack(self.shared, is_decoder=True)
        self.lm_head = nn.Linear(D_MODEL, VOCAB, bias=False)
        self.apply(self._init_weights)
        self.lm_head.weight = self.shared.weight  # tied

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """T5's initialisation (factor 1.0): the 1/√d_kv attention scale lives in the q weights."""
        if isinstance(module, nn.Embedding):
            std = 1.0 if module.num_embeddings == VOCAB else D_MODEL**-0.5
            nn.init.normal_(module.weight, std=std)
        elif isinstance(module, T5Attention):
            nn.init.normal_(module.q.weight, std=(D_MODEL * D_KV) ** -0.5)
            nn.init.normal_(module.k.weight, std=D_MODEL**-0.5)
            nn.init.normal_(module.v.weight, std=D_MODEL**-0.5)
            nn.init.normal_(module.o.weight, std=(HEADS * D_KV) ** -0.5)
        elif isinstance(module, T5DenseActDense):
            nn.init.normal_(module.wi.weight, std=D_MODEL**-0.5)
            nn.init.normal_(module.wo.weight, std=D_FF**-0.5)

    def forward(self, input_ids: Tensor, decoder_input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        encoder_outputs = self.encoder(input_ids, attention_mask)
        decoder_attention_mask = torch.ones_like(decoder_input_ids)
        sequence_output = self.decoder(
            decoder_input_ids,
            decoder_attention_mask,
            encoder_hidden_states=encoder_outputs,
            encoder_attention_mask=attention_mask,
        )
        sequence_output = sequence_output * (self.model_dim**-0.5)  # tied head: rescale first
        return self.lm_head(sequence_output)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return T5ForConditionalGeneration().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(3, VOCAB, (2, 16))
    input_ids[:, -1] = 1  # </s>
    decoder_input_ids = torch.randint(3, VOCAB, (2, 8))
    decoder_input_ids[:, 0] = 0  # the decoder start token is <pad>
    return input_ids, decoder_input_ids


if __name__ == "__main__":
    from smoke import main

    main(build_model, example_inputs)
