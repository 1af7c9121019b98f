#include "signal/description_type.hpp"

#include <array>
#include <utility>

namespace turnpike::signal {

namespace {

constexpr std::array<std::pair<std::string_view, DescriptionType>, 4> kNames{{
    {"offer", DescriptionType::offer},
    {"answer", DescriptionType::answer},
    {"pranswer", DescriptionType::pranswer},
    {"rollback", DescriptionType::rollback},
}};

}  // namespace

std::optional<DescriptionType> parse_description_type(std::string_view text) {
    for (const auto& [name, type] : kNames) {
        if (text == name) {
            return type;
        }
    }
    return std::nullopt;
}

std::string_view to_string(DescriptionType type) {
    for (const auto& [name, value] : kNames) {
        if (value == type) {
            return name;
        }
    }
    return "unknown";
}

}  // namespace turnpike::signal
