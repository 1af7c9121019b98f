#pragma once

#include <glib-object.h>

#include <memory>

namespace turnpike::signal {

struct GObjectUnref {
    void operator()(gpointer object) const { g_object_unref(object); }
};

// Owns one reference to a GObject.
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

// Takes a new reference to `object` (which the caller keeps its own of).
template <typename T>
GObjectPtr<T> take_ref(T* object) {
    return GObjectPtr<T>(static_cast<T*>(g_object_ref(object)));
}

}  // namespace turnpike::signal
