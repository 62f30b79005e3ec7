"""A Transformer encoder classifier trained from scratch (nanoGPT's shape, bidirectional).

token + learned position embeddings → N pre-norm encoder layers (PyTorch's ``nn.TransformerEncoder``,
whose fused kernels beat hand-written blocks on CPU) → final LayerNorm → pooled vector ([CLS] or the
mean over real tokens) → linear head over the labels.
"""
from __future__ import annotations

import torch
from torch import nn

from training.engine.config import ModelConfig
from training.engine.tokenizer import PAD_ID


class TransformerClassifier(nn.Module):
    def __init__(self, config: ModelConfig, *, vocab_size: int, num_labels: int, token_level: bool = False):
        super().__init__()
        self.config = config
        self.token_level = token_level  # spans: logits for every position (token classification)
        self.tok_emb = nn.Embedding(vocab_size, config.d_model, padding_idx=PAD_ID)
        self.pos_emb = nn.Embedding(config.max_length, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=config.d_model,
            nhead=config.n_heads,
            dim_feedforward=config.d_ff,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,  # pre-norm trains stably without a long warmup
        )
        # Nested tensors only help post-norm inference; turning them off avoids a warning and a copy.
        self.encoder = nn.TransformerEncoder(layer, num_layers=config.n_layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, num_labels)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # GPT-2's init: N(0, 0.02) for matrices and embeddings, zero biases.
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``ids`` int64 [B, T], ``mask`` bool [B, T] (True on real tokens) → logits [B, num_labels] ([B, T,
        num_labels] when ``token_level``)."""
        _, t = ids.shape
        positions = torch.arange(t, device=ids.device)  # [T]
        x = self.drop(self.tok_emb(ids) + self.pos_emb(positions)[None, :, :])  # [B, T, d]
        x = self.encoder(x, src_key_padding_mask=~mask)  # [B, T, d]; True in the padding mask = ignore
        x = self.ln_f(x)  # [B, T, d]
        if self.token_level:
            return self.head(x)  # [B, T, num_labels]
        if self.config.pooling == "mean":
            weights = mask.unsqueeze(-1).to(x.dtype)  # [B, T, 1]
            pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # [B, d]
        else:
            pooled = x[:, 0]  # [B, d]: the [CLS] position
        return self.head(pooled)  # [B, num_labels]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
