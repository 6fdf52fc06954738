#include <cstdio>

#include "commands.h"
#include "hiedge/common/model_card.h"
#include "hiedge/torch/train.h"

namespace hiedge::cli {

void AddExportCommand(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("export",
                         "Export a trained built-in model to ONNX (with its early exits and stage "
                         "boundaries) and point its card at the ONNX file");
  auto card = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--model", *card, "Model card of a model trained by `hiedge train`")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", *out, "ONNX file to write (default: <card folder>/<name>.onnx)");
  cmd->callback([card, out, exit_code] {
    auto read = ReadModelCard(*card);
    if (!read.ok()) {
      *exit_code = ExitCodeFor(read.status());
      return;
    }
    const std::string path =
        out->empty() ? CardDirectory(*card) + "/" + read->name + ".onnx" : *out;
    auto exported = ExportModel(*card, path);
    if (!exported.ok()) {
      *exit_code = ExitCodeFor(exported.status());
      return;
    }
    std::printf("wrote %s; %s now runs it (format onnx, alternates: hiedge=%s)\n", path.c_str(),
                card->c_str(), exported->alternates.at("hiedge").c_str());
  });
}

}  // namespace hiedge::cli
