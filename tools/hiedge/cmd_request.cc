#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "hiedge/data/data.h"
#include "hiedge/data/data_source.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/server/server.h"

namespace hiedge::cli {
namespace {

struct RequestArgs {
  std::string data_dir = kFashionMnistDir;
  size_t index = 0;
  size_t rows = 1;
  std::string out = "results";
};

// Writes an Open Inference Protocol infer request (JSON) holding test images, for curl
// or any v2 client: curl -d @<out>/request.json localhost:8000/v2/models/lml/infer
Status WriteExampleRequest(const RequestArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  if (a.index + a.rows > test.size()) {
    return Status::InvalidArgument("--index " + std::to_string(a.index) + " + --rows " +
                                   std::to_string(a.rows) + " exceeds the " +
                                   std::to_string(test.size()) + " test images");
  }
  protocol::InferRequest request;
  request.id = "test-" + std::to_string(a.index);
  protocol::Tensor input;
  input.name = protocol::kInputName;
  input.shape = {static_cast<int64_t>(a.rows), test.channels, test.height, test.width};
  input.data.assign(test.image(a.index), test.image(a.index) + a.rows * test.image_elements());
  request.inputs.push_back(std::move(input));
  const std::string path = a.out + "/request.json";
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(path, protocol::EncodeInferRequest(request, false).body));
  std::string labels;
  for (size_t i = 0; i < a.rows; ++i) labels += " " + std::to_string(test.labels[a.index + i]);
  std::fprintf(stderr, "wrote %s (test image(s) %zu..%zu, labels%s)\n", path.c_str(), a.index,
               a.index + a.rows - 1, labels.c_str());
  return Status::Ok();
}

}  // namespace

void AddExampleRequestCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "example-request",
      "Write an OIP v2 infer request (JSON) from test images, for curl or any v2 client");
  auto a = std::make_shared<RequestArgs>();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--index", a->index, "First test image")->capture_default_str();
  cmd->add_option("--rows", a->rows, "Images in the request")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Folder to write request.json in")->capture_default_str();
  cmd->footer("Then: curl -d @results/request.json localhost:8000/v2/models/lml/infer");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(WriteExampleRequest(*a)); });
}

}  // namespace hiedge::cli
