// The output options every study command shares.
#include "commands.h"

namespace hiedge::cli {

void AddStudyOutputOptions(CLI::App* cmd, StudyOutputs* outputs) {
  cmd->add_option("--json", outputs->json, "Also write the table as JSON here");
  cmd->add_option("--csv", outputs->csv, "Also write the table's rows as CSV here");
  cmd->add_option("--markdown-append", outputs->markdown_append,
                  "Append this run's section to a results document (e.g. docs/results.md)");
}

}  // namespace hiedge::cli
