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
//   - The gradient family, from A and G = ∂y^c/∂A: Grad-CAM++ (Chattopadhyay et al. 2018),
//     XGrad-CAM (Fu et al. 2020), HiResCAM (Draelos & Carin 2020), LayerCAM (Jiang et al.
//     2021) and Grad-CAM element-wise ([GradCAMPlusPlusFromGradients] and the others).
//   - Perturbation methods: Score-CAM (Wang et al. 2020, [ScoreCAM]) and Ablation-CAM
//     (Desai & Ramaswamy 2020, [AblationCAM]). Their batch × channels forward passes run
//     inside the graph in fixed-size chunks, one after the other, so the graph compiles
//     once and memory holds one chunk; Ablation-CAM runs only the layers after the tapped
//     one. The chunk is chosen from a memory budget ([Config.ChunkSize],
//     [Config.MemoryBudget], [MemoryEstimate]).
//   - Principal components: Eigen-CAM (Muhammad & Yeasin 2020, [EigenCAM]) and
//     EigenGrad-CAM, computed in the graph by power iteration, with a documented sign
//     convention ([EigenSign]).
//   - Guided backpropagation and Guided Grad-CAM (Springenberg et al. 2015; Selvaraju et
//     al. 2017): [GuidedReLU], [GuidedBackprop], [GuidedGradCAM]. Models must build their
//     ReLUs with [ReLU] for these: it is a plain ReLU except in the guided copy of the
//     model that the Explainer builds.
//
// Options follow pytorch-grad-cam: aug-smooth and eigen-smooth ([Config.AugSmooth],
// [Config.EigenSmooth]) and multi-layer aggregation ([Result.FinalMultiLayer]), plus the
// per-layer maps of the same pass ([Result.ScaledLayers]). The formulas and constants are
// pytorch-grad-cam v1.5.5's; the reference tests compare every method with it on a small
// model to 1e-5.
//
// # Taps, not hooks
//
// A model names the activations worth explaining with GoMLX node aliases
// (node.WithAlias("relu3")) or with [Tap], a thin helper over them that also lets
// perturbation methods substitute an activation. The [Explainer] finds taps by name,
// differentiates the target score with respect to them with graph.Gradient (from the
// score down to the tapped layer only: no parameter gradients are built), and computes
// every requested layer × method in one compiled graph. Ablation-CAM needs [Tap] (an
// alias alone cannot be substituted).
//
// Activations are channels-last, [batch, h, w, channels] (GoMLX's default); maps are
// [batch, h, w]. Raw maps are returned before ReLU and normalisation, at feature
// resolution; [Result.Final] post-processes exactly as pytorch-grad-cam does
// (ReLU, per-image min-max with its 1e-7, bilinear resize with half-pixel centres), and
// [FinalMaps] does the same inside the graph, differentiably.
package camviz
