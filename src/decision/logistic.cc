#include "hiedge/decision/logistic.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace hiedge {
namespace {

double Sigmoid(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

// Solves the 3x3 system a x = b by Gaussian elimination with partial pivoting.
bool Solve3(std::array<std::array<double, 3>, 3> a, std::array<double, 3> b,
            std::array<double, 3>* x) {
  for (int c = 0; c < 3; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 3; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    if (std::abs(a[pivot][c]) < 1e-300) return false;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (int r = c + 1; r < 3; ++r) {
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 3; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int r = 2; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < 3; ++k) s -= a[r][k] * (*x)[k];
    (*x)[r] = s / a[r][r];
  }
  return true;
}

}  // namespace

double LogisticModel::ProbabilityWrong(const TopTwo& t) const {
  return Sigmoid(weight_p1 * t.p1 + weight_p2 * t.p2 + bias);
}

Result<LogisticModel> FitLogistic(const std::vector<TopTwo>& features,
                                  const std::vector<bool>& wrong,
                                  const LogisticFitOptions& options) {
  if (features.empty() || features.size() != wrong.size()) {
    return Status::InvalidArgument(
        "logistic fit needs as many labels as samples, and at least one");
  }
  std::array<double, 3> theta = {0, 0, 0};  // p1, p2, bias
  const double n = static_cast<double>(features.size());
  for (int it = 0; it < options.max_iterations; ++it) {
    std::array<double, 3> grad = {options.l2 * theta[0], options.l2 * theta[1], 0};
    std::array<std::array<double, 3>, 3> hess{};
    hess[0][0] = options.l2;
    hess[1][1] = options.l2;
    for (size_t i = 0; i < features.size(); ++i) {
      const std::array<double, 3> x = {features[i].p1, features[i].p2, 1.0};
      const double p = Sigmoid(theta[0] * x[0] + theta[1] * x[1] + theta[2]);
      const double residual = (p - (wrong[i] ? 1.0 : 0.0)) / n;
      const double w = std::max(p * (1 - p), 1e-12) / n;
      for (int a = 0; a < 3; ++a) {
        grad[a] += residual * x[a];
        for (int b = 0; b < 3; ++b) hess[a][b] += w * x[a] * x[b];
      }
    }
    // The bias is unpenalised; a tiny ridge keeps the Hessian invertible when every
    // label is the same.
    hess[2][2] += 1e-9;
    std::array<double, 3> step{};
    if (!Solve3(hess, grad, &step)) return Status::Internal("logistic fit: singular Hessian");
    double change = 0;
    for (int a = 0; a < 3; ++a) {
      theta[a] -= step[a];
      change = std::max(change, std::abs(step[a]));
    }
    if (change < options.tolerance) break;
  }
  return LogisticModel{theta[0], theta[1], theta[2]};
}

}  // namespace hiedge
