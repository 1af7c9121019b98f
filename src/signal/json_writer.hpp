#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace turnpike::signal {

// Builds one compact JSON text. Strings must be valid UTF-8 (everything that
// reaches it has been validated on the way in); control characters, quotes
// and backslashes are escaped. The caller keeps objects and arrays balanced.
class JsonWriter {
  public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    JsonWriter& value(int64_t number);
    JsonWriter& null();
    // Already-serialised JSON, inserted as one value.
    JsonWriter& raw(std::string_view json);

    std::string take() { return std::move(out_); }

  private:
    void separate();
    void quoted(std::string_view text);

    std::string out_;
    bool need_comma_ = false;
};

}  // namespace turnpike::signal
