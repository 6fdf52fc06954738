#include "common/bounded_json.h"

#include <string>

namespace hiedge {
namespace {

using nlohmann::json;

// Builds the DOM through nlohmann's own SAX-to-DOM builder and refuses to open an
// array or object beyond the depth bound (returning false ends sax_parse at once).
class DepthBoundedSax : public nlohmann::json_sax<json> {
 public:
  DepthBoundedSax(json* result, int max_depth) : dom_(*result, false), max_depth_(max_depth) {}

  bool null() override { return dom_.null(); }
  bool boolean(bool v) override { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override {
    return dom_.number_float(v, s);
  }
  bool string(string_t& v) override { return dom_.string(v); }
  bool binary(binary_t& v) override { return dom_.binary(v); }
  bool start_object(std::size_t n) override { return Open() && dom_.start_object(n); }
  bool key(string_t& v) override { return dom_.key(v); }
  bool end_object() override {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override { return Open() && dom_.start_array(n); }
  bool end_array() override {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    syntax_error_at_ = position;
    // "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error
    // while parsing value - invalid literal; last read: 'x'": keep what follows "- ".
    const std::string what = e.what();
    const size_t dash = what.rfind(" - ");
    const size_t bracket = what.find("] ");
    detail_ = dash != std::string::npos      ? what.substr(dash + 3)
              : bracket != std::string::npos ? what.substr(bracket + 2)
                                             : what;
    if (detail_.size() > 160) detail_.resize(160);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  std::size_t syntax_error_at() const { return syntax_error_at_; }
  const std::string& detail() const { return detail_; }

 private:
  bool Open() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t syntax_error_at_ = 0;
  std::string detail_;
};

}  // namespace

Result<json> ParseBoundedJson(std::string_view text, int max_depth) {
  json result;
  DepthBoundedSax sax(&result, max_depth);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                                  /*strict=*/true);
  if (sax.too_deep()) {
    return Status::InvalidArgument("JSON nested deeper than " + std::to_string(max_depth) +
                                   " levels");
  }
  if (!ok) {
    return Status::InvalidArgument("malformed JSON at byte " +
                                   std::to_string(sax.syntax_error_at()) + ": " + sax.detail());
  }
  return result;
}

}  // namespace hiedge
