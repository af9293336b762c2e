#pragma once

#include <string_view>

namespace kube9::collectors {

// True for a name that says it holds a credential (a ConfigMap key, an env var): it contains,
// ignoring case and the separators '-', '_' and '.', one of password, passwd, secret, token,
// apikey, privatekey, accesskey or credential. Only the name is looked at, never a value.
bool LooksLikeCredentialName(std::string_view name);

}  // namespace kube9::collectors
