"""A two-layer graph convolutional network in the shape of Kipf's pygcn, with a sparse adjacency.

Layout: one graph, nodes first. Inputs: node features [N=20, F=12] and the symmetrically
normalised adjacency with self-loops, a sparse COO tensor [N, N]. Each layer computes
A · (X · W) + b with torch.mm and torch.sparse.mm; dropout is functional
(F.dropout(x, p, training=self.training)). Output per-node log-probabilities [N, 4].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class GraphConvolution(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input: Tensor, adj: Tensor) -> Tensor:
        support = torch.mm(input, self.weight)
        output = torch.sparse.mm(adj, support)
        return output + self.bias if self.bias is not None else output


class GCN(nn.Module):
    def __init__(self, nfeat: int = 12, nhid: int = 16, nclass: int = 4, dropout: float = 0.5) -> None:
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def normalized_adjacency(n: int) -> Tensor:
    """D^-1/2 (A + I) D^-1/2 of a random undirected graph, as a sparse COO tensor."""
    dense = (torch.rand(n, n) < 0.15).float()
    dense = ((dense + dense.t()) > 0).float() + torch.eye(n)
    dense = dense.clamp(max=1.0)
    d_inv_sqrt = dense.sum(1).pow(-0.5)
    normalized = d_inv_sqrt[:, None] * dense * d_inv_sqrt[None, :]
    return normalized.to_sparse()


def build_model() -> nn.Module:
    return GCN().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(20, 12), normalized_adjacency(20)
