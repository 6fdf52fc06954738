// Superclasses for the two-level architecture (seed 004 §2(1)): class medians of a
// representation, grouped by seeded k-means.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "hiedge/decision/two_level.h"

namespace hiedge {
namespace {

// Uniform in [0, 1) from the 53 high bits: identical on every standard library.
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double SquaredDistance(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return sum;
}

struct Clustering {
  std::vector<int> assignment;
  double inertia = std::numeric_limits<double>::infinity();
};

std::vector<std::vector<float>> SeedCentres(const std::vector<std::vector<float>>& points, int k,
                                            std::mt19937_64& rng) {
  std::vector<std::vector<float>> centres;
  centres.push_back(
      points[std::min(points.size() - 1, static_cast<size_t>(Uniform01(rng) * points.size()))]);
  std::vector<double> nearest(points.size(), std::numeric_limits<double>::infinity());
  while (static_cast<int>(centres.size()) < k) {
    double total = 0;
    for (size_t i = 0; i < points.size(); ++i) {
      nearest[i] = std::min(nearest[i], SquaredDistance(points[i], centres.back()));
      total += nearest[i];
    }
    size_t pick = 0;
    if (total > 0) {
      double target = Uniform01(rng) * total;
      for (pick = 0; pick + 1 < points.size(); ++pick) {
        if (nearest[pick] > 0 && target < nearest[pick]) break;
        target -= nearest[pick];
      }
    } else {
      // All points coincide with a centre: any unused index keeps clusters non-empty.
      pick = centres.size();
    }
    centres.push_back(points[pick]);
  }
  return centres;
}

Clustering Lloyd(const std::vector<std::vector<float>>& points, int k, std::mt19937_64& rng) {
  std::vector<std::vector<float>> centres = SeedCentres(points, k, rng);
  const size_t dim = points[0].size();
  Clustering result;
  result.assignment.assign(points.size(), -1);
  for (int iteration = 0; iteration < 100; ++iteration) {
    bool changed = false;
    for (size_t i = 0; i < points.size(); ++i) {
      int best = 0;
      double best_distance = std::numeric_limits<double>::infinity();
      for (int c = 0; c < k; ++c) {
        const double d = SquaredDistance(points[i], centres[static_cast<size_t>(c)]);
        if (d < best_distance) best = c, best_distance = d;
      }
      changed |= result.assignment[i] != best;
      result.assignment[i] = best;
    }
    // An empty cluster takes the point farthest from its centre.
    for (int c = 0; c < k; ++c) {
      if (std::count(result.assignment.begin(), result.assignment.end(), c) > 0) continue;
      size_t farthest = 0;
      double farthest_distance = -1;
      for (size_t i = 0; i < points.size(); ++i) {
        const int own = result.assignment[i];
        if (std::count(result.assignment.begin(), result.assignment.end(), own) < 2) continue;
        const double d = SquaredDistance(points[i], centres[static_cast<size_t>(own)]);
        if (d > farthest_distance) farthest = i, farthest_distance = d;
      }
      result.assignment[farthest] = c;
      changed = true;
    }
    for (int c = 0; c < k; ++c) {
      std::vector<double> sum(dim, 0);
      int n = 0;
      for (size_t i = 0; i < points.size(); ++i) {
        if (result.assignment[i] != c) continue;
        ++n;
        for (size_t j = 0; j < dim; ++j) sum[j] += points[i][j];
      }
      for (size_t j = 0; j < dim; ++j) centres[static_cast<size_t>(c)][j] = sum[j] / n;
    }
    if (!changed) break;
  }
  result.inertia = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    result.inertia +=
        SquaredDistance(points[i], centres[static_cast<size_t>(result.assignment[i])]);
  }
  return result;
}

// Renumbers superclasses in order of their lowest class, so equal partitions compare equal.
std::vector<int> Canonical(const std::vector<int>& assignment) {
  std::vector<int> renamed(assignment.size());
  std::vector<int> new_id;
  for (size_t i = 0; i < assignment.size(); ++i) {
    auto it = std::find(new_id.begin(), new_id.end(), assignment[i]);
    if (it == new_id.end()) {
      new_id.push_back(assignment[i]);
      it = new_id.end() - 1;
    }
    renamed[i] = static_cast<int>(it - new_id.begin());
  }
  return renamed;
}

}  // namespace

Result<Superclasses> MakeSuperclasses(std::vector<int> of_class) {
  if (of_class.empty()) return Status::InvalidArgument("superclasses: no classes");
  const int k = *std::max_element(of_class.begin(), of_class.end()) + 1;
  Superclasses s;
  s.members.resize(static_cast<size_t>(std::max(k, 0)));
  for (size_t c = 0; c < of_class.size(); ++c) {
    if (of_class[c] < 0) {
      return Status::InvalidArgument("superclasses: class " + std::to_string(c) +
                                     " has negative superclass " + std::to_string(of_class[c]));
    }
    s.members[static_cast<size_t>(of_class[c])].push_back(static_cast<int>(c));
  }
  for (int i = 0; i < k; ++i) {
    if (s.members[static_cast<size_t>(i)].empty()) {
      return Status::InvalidArgument("superclasses: superclass " + std::to_string(i) +
                                     " has no class (ids must be 0..k-1)");
    }
  }
  s.of_class = std::move(of_class);
  return s;
}

Result<std::vector<std::vector<float>>> ClassMedians(std::span<const float> representations,
                                                     size_t dim, std::span<const int32_t> labels,
                                                     int num_classes) {
  if (dim == 0 || representations.size() != labels.size() * dim) {
    return Status::InvalidArgument("class medians: " + std::to_string(representations.size()) +
                                   " values are not " + std::to_string(labels.size()) +
                                   " rows of " + std::to_string(dim));
  }
  std::vector<std::vector<size_t>> rows(static_cast<size_t>(std::max(num_classes, 0)));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return Status::InvalidArgument("class medians: label " + std::to_string(labels[i]) +
                                     " outside [0, " + std::to_string(num_classes) + ")");
    }
    rows[static_cast<size_t>(labels[i])].push_back(i);
  }
  std::vector<std::vector<float>> medians;
  std::vector<float> column;
  for (int c = 0; c < num_classes; ++c) {
    const auto& members = rows[static_cast<size_t>(c)];
    if (members.empty()) {
      return Status::InvalidArgument("class medians: class " + std::to_string(c) +
                                     " has no sample");
    }
    std::vector<float> median(dim);
    for (size_t j = 0; j < dim; ++j) {
      column.clear();
      for (size_t i : members) column.push_back(representations[i * dim + j]);
      const size_t mid = column.size() / 2;
      std::nth_element(column.begin(), column.begin() + static_cast<ptrdiff_t>(mid), column.end());
      float value = column[mid];
      if (column.size() % 2 == 0) {
        const float below =
            *std::max_element(column.begin(), column.begin() + static_cast<ptrdiff_t>(mid));
        value = (value + below) / 2;
      }
      median[j] = value;
    }
    medians.push_back(std::move(median));
  }
  return medians;
}

Result<Superclasses> ClusterIntoSuperclasses(const std::vector<std::vector<float>>& points, int k,
                                             uint64_t seed, int restarts) {
  if (k < 1 || static_cast<size_t>(k) > points.size()) {
    return Status::InvalidArgument("superclasses: k = " + std::to_string(k) + " for " +
                                   std::to_string(points.size()) + " classes");
  }
  for (const auto& p : points) {
    if (p.size() != points[0].size() || p.empty()) {
      return Status::InvalidArgument("superclasses: points differ in dimension");
    }
  }
  std::mt19937_64 rng(seed);
  Clustering best;
  for (int run = 0; run < std::max(restarts, 1); ++run) {
    Clustering c = Lloyd(points, k, rng);
    if (c.inertia < best.inertia) best = std::move(c);
  }
  return MakeSuperclasses(Canonical(best.assignment));
}

std::vector<double> SuperclassConfidences(std::span<const float> class_probabilities,
                                          const Superclasses& superclasses) {
  std::vector<double> confidence(superclasses.members.size(), 0.0);
  for (size_t c = 0; c < class_probabilities.size() && c < superclasses.of_class.size(); ++c) {
    confidence[static_cast<size_t>(superclasses.of_class[c])] += class_probabilities[c];
  }
  return confidence;
}

}  // namespace hiedge
