// The inputs every study loads the same way: its splits and the device profiles.
#include "common/files.h"
#include "eval/core/eval.h"
#include "hiedge/data/data_source.h"

namespace hiedge {

Result<StudySplits> LoadStudySplits(const std::string& data_dir, const ModelInfo& model) {
  HIEDGE_ASSIGN_OR_RETURN(
      const Dataset train,
      LoadDataForModel(data_dir, Split::kTrain, model.input_shape, model.num_classes, model.name));
  StudySplits splits;
  splits.validation = SplitForValidation(train).validation;
  HIEDGE_ASSIGN_OR_RETURN(splits.test, LoadDataForModel(data_dir, Split::kTest, model.input_shape,
                                                        model.num_classes, model.name));
  return splits;
}

Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& path) {
  if (path.empty()) return std::vector<DeviceProfile>{};
  HIEDGE_ASSIGN_OR_RETURN(const std::string text, ReadTextFile(path));
  return ParseDeviceProfiles(text);
}

}  // namespace hiedge
