// AdaHedge (de Rooij, van Erven, Grünwald and Koolen, "Follow the leader if you can,
// hedge if you must", JMLR 2014): exponential weights over K experts whose learning rate
// η_t = ln K / Δ_{t-1} adapts to the losses seen, where Δ is the cumulative mixability
// gap. No loss range needs to be known in advance, and losses may have any sign.
//
// Guarantee (pathwise, for every loss sequence): the mixture's cumulative loss H_T
// exceeds the best expert's by at most 2 Δ_T, and
//   2 Δ_T <= 2 sqrt(V_T ln K) + S_T (4/3 ln K + 2),
// with V_T the sum over rounds of the losses' variance under the mixture and S_T the
// largest per-round loss range (max_k ℓ - min_k ℓ). Both sides are exposed, so a test
// can check them on any stream. The mixture starts uniform; with Δ = 0 (η = ∞) it is
// uniform over the leaders (follow the leader). Pure; not thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace hiedge {

class AdaHedge {
 public:
  explicit AdaHedge(size_t experts = 1);

  // The mixture for the next round: non-negative, summing to 1.
  const std::vector<double>& weights() const { return weights_; }
  // One round with every expert's loss (size: experts). Returns the mixture's loss
  // Σ_k w_k ℓ_k under the weights before the update.
  double Update(std::span<const double> losses);
  void Reset();

  size_t experts() const { return cumulative_.size(); }
  const std::vector<double>& cumulative() const { return cumulative_; }  // Per expert.
  double mixture_loss() const { return mixture_loss_; }                 // H_T.
  double best_loss() const;                                             // min_k L_k.
  double regret() const { return mixture_loss_ - best_loss(); }
  double gap() const { return gap_; }            // Δ_T.
  double variance() const { return variance_; }  // V_T.
  double range() const { return range_; }        // S_T.
  size_t rounds() const { return rounds_; }
  // 2 sqrt(V_T ln K) + S_T (4/3 ln K + 2): the bound in terms of the stream.
  double Bound() const;

  // Restores a saved state (sizes must match experts; values finite, gap/variance/range
  // >= 0); false when they do not.
  bool Restore(std::vector<double> cumulative, double mixture_loss, double gap,
               double variance, double range, size_t rounds);

 private:
  void Reweigh();

  std::vector<double> cumulative_;
  std::vector<double> weights_;
  double mixture_loss_ = 0, gap_ = 0, variance_ = 0, range_ = 0;
  size_t rounds_ = 0;
};

}  // namespace hiedge
