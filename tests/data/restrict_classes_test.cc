#include <gtest/gtest.h>

#include "hiedge/data.h"

namespace hiedge {
namespace {

TEST(RestrictClassesTest, KeepsListedClassesRelabelledInListOrder) {
  Dataset d;
  d.channels = 1;
  d.height = 1;
  d.width = 2;
  d.num_classes = 4;
  d.labels = {3, 0, 1, 3, 2};
  d.images = {30, 31, 0, 1, 10, 11, 32, 33, 20, 21};
  const Dataset r = RestrictClasses(d, {3, 1});
  EXPECT_EQ(r.num_classes, 2);
  EXPECT_EQ(r.labels, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(r.images, (std::vector<float>{30, 31, 10, 11, 32, 33}));
  EXPECT_EQ(RestrictClasses(d, {}).size(), 0u);
  const Dataset with_other = RestrictClasses(d, {3, 1}, /*keep_others=*/true);
  EXPECT_EQ(with_other.num_classes, 3);
  EXPECT_EQ(with_other.labels, (std::vector<int32_t>{0, 2, 1, 0, 2}));
  EXPECT_EQ(with_other.images, d.images);
}

}  // namespace
}  // namespace hiedge
