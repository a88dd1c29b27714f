// Package camviz computes class activation maps for image classifiers built with GoMLX.
//
// Every method is a pure graph function over *graph.Node values, so maps are
// differentiable, composable and testable in isolation:
//
//   - CAM (Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016):
//     M_c(x,y) = Σ_k w_k^c f_k(x,y), for conv → global-average-pool → linear networks, where
//     f_k are the last conv layer's activations and w^c the linear layer's weights of class c.
//   - Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
//     Gradient-based Localization", ICCV 2017): α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij and
//     L^c = ReLU(Σ_k α_k^c A^k), for any differentiable architecture.
//
// # Taps, not hooks
//
// A model names the activations worth explaining with GoMLX node aliases
// (node.WithAlias("relu3")) or with [Tap], a thin helper over them that also lets
// perturbation methods substitute an activation. The [Explainer] finds taps by name,
// differentiates the target score with respect to them with graph.Gradient (from the
// score down to the tapped layer only: no parameter gradients are built), and computes
// every requested layer × method in one compiled graph.
//
// Activations are channels-last, [batch, h, w, channels] (GoMLX's default); maps are
// [batch, h, w]. Raw maps are returned before ReLU and normalisation, at feature
// resolution; [Result.Final] post-processes exactly as pytorch-grad-cam does
// (ReLU, per-image min-max with its 1e-7, bilinear resize with half-pixel centres).
package camviz
