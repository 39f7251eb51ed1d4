"""A BiLSTM-CRF tagger in the shape of the PyTorch "Advanced: dynamic decisions" tutorial (Viterbi decoding).

Layout: one sentence, sequence-first with a batch of one. Input sentence [L=6] (word ids). The
embeddings are viewed as [L, 1, E] for the bidirectional LSTM, whose initial (h0, c0) are random
[2, 1, H/2] tensors wrapped in the legacy `torch.autograd.Variable`. The emission scores [L, 5]
are Viterbi-decoded with the transition matrix, step by step in Python; forward returns the best
path's score (a 0-d tensor) and the tag sequence (a list of L ints). `neg_log_likelihood` (the
training loss, with the forward algorithm) is a method that forward does not call.
"""

from __future__ import annotations

import torch
from torch import Tensor, autograd, nn

START_TAG = "<START>"
STOP_TAG = "<STOP>"
TAG_TO_IX = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}


def argmax(vec: Tensor) -> int:
    _, idx = torch.max(vec, 1)
    return int(idx.item())


def log_sum_exp(vec: Tensor) -> Tensor:
    max_score = vec[0, argmax(vec)]
    max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
    return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))


class BiLSTM_CRF(nn.Module):
    def __init__(self, vocab_size: int, tag_to_ix: dict[str, int], embedding_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.tag_to_ix = tag_to_ix
        self.tagset_size = len(tag_to_ix)
        self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
        # transitions[i, j] is the score of moving *to* tag i *from* tag j
        self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
        self.transitions.data[tag_to_ix[START_TAG], :] = -10000
        self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
        self.hidden = self.init_hidden()

    def init_hidden(self) -> tuple[Tensor, Tensor]:
        return (
            autograd.Variable(torch.randn(2, 1, self.hidden_dim // 2)),
            autograd.Variable(torch.randn(2, 1, self.hidden_dim // 2)),
        )

    def _forward_alg(self, feats: Tensor) -> Tensor:
        init_alphas = torch.full((1, self.tagset_size), -10000.0)
        init_alphas[0][self.tag_to_ix[START_TAG]] = 0.0
        forward_var = init_alphas
        for feat in feats:
            alphas_t = []
            for next_tag in range(self.tagset_size):
                emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                trans_score = self.transitions[next_tag].view(1, -1)
                alphas_t.append(log_sum_exp(forward_var + trans_score + emit_score).view(1))
            forward_var = torch.cat(alphas_t).view(1, -1)
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        return log_sum_exp(terminal_var)

    def _get_lstm_features(self, sentence: Tensor) -> Tensor:
        self.hidden = self.init_hidden()
        embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
        lstm_out, self.hidden = self.lstm(embeds, self.hidden)
        lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
        return self.hidden2tag(lstm_out)

    def _score_sentence(self, feats: Tensor, tags: Tensor) -> Tensor:
        score = torch.zeros(1)
        tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long), tags])
        for i, feat in enumerate(feats):
            score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
        return score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]

    def _viterbi_decode(self, feats: Tensor) -> tuple[Tensor, list[int]]:
        backpointers = []
        init_vvars = torch.full((1, self.tagset_size), -10000.0)
        init_vvars[0][self.tag_to_ix[START_TAG]] = 0
        forward_var = init_vvars
        for feat in feats:
            bptrs_t = []
            viterbivars_t = []
            for next_tag in range(self.tagset_size):
                next_tag_var = forward_var + self.transitions[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
            forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
            backpointers.append(bptrs_t)

        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0][best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        start = best_path.pop()
        assert start == self.tag_to_ix[START_TAG]
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(self, sentence: Tensor, tags: Tensor) -> Tensor:
        feats = self._get_lstm_features(sentence)
        return self._forward_alg(feats) - self._score_sentence(feats, tags)

    def forward(self, sentence: Tensor) -> tuple[Tensor, list[int]]:
        lstm_feats = self._get_lstm_features(sentence)
        return self._viterbi_decode(lstm_feats)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return BiLSTM_CRF(vocab_size=20, tag_to_ix=TAG_TO_IX, embedding_dim=8, hidden_dim=8).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 20, (6,))
