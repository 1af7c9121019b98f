#include "admin/store.hpp"

namespace turnpike::admin {

std::string_view to_string(Role role) {
    return role == Role::superadmin ? "superadmin" : "moderator";
}

std::optional<Role> parse_role(std::string_view text) {
    if (text == "superadmin") {
        return Role::superadmin;
    }
    if (text == "moderator") {
        return Role::moderator;
    }
    return std::nullopt;
}

std::vector<signal::Report> Store::recent(size_t limit) const {
    std::vector<signal::Report> out;
    for (auto& r : reports(false, {0, static_cast<int64_t>(limit)})) {
        out.push_back(std::move(r.report));
    }
    return out;
}

}  // namespace turnpike::admin
