// sc-audit: list and check arm64 static call trampolines in an ELF file.
#include "audit.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace scaudit;

static void usage(FILE *f) {
    std::fprintf(f,
                 "usage: sc-audit [--require] [--layout NAME] [-v|--verbose] FILE...\n"
                 "  FILE           arm64 vmlinux, module (.ko) or object file\n"
                 "  --require      exit %d when a file has no __SCT__ trampolines\n"
                 "  --layout NAME  check against this trampoline layout (%s)\n"
                 "                 instead of the one the file's trampolines match\n"
                 "exit status: %d ok (also: no trampolines without --require), %d a broken "
                 "invariant,\n             %d unreadable/not arm64 ELF or usage error, %d none "
                 "found with --require\n",
                 kExitNoneRequired, sct::layout_names().c_str(), kExitOk, kExitBroken, kExitError,
                 kExitNoneRequired);
}

int main(int argc, char **argv) {
    bool require = false, verbose = false;
    const sct::Layout *layout = nullptr;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const char *name = nullptr;
        if (!std::strcmp(argv[i], "--layout")) {
            if (i + 1 == argc) {
                usage(stderr);
                return kExitError;
            }
            name = argv[++i];
        } else if (!std::strncmp(argv[i], "--layout=", 9)) {
            name = argv[i] + 9;
        }
        if (name) {
            layout = sct::find_layout(name);
            if (!layout) {
                std::fprintf(stderr, "sc-audit: unknown layout '%s' (known: %s)\n", name,
                             sct::layout_names().c_str());
                return kExitError;
            }
        } else if (!std::strcmp(argv[i], "--require"))
            require = true;
        else if (!std::strcmp(argv[i], "-v") || !std::strcmp(argv[i], "--verbose"))
            verbose = true;
        else if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
            usage(stdout);
            return kExitOk;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return kExitError;
        } else
            files.push_back(argv[i]);
    }
    if (files.empty()) {
        usage(stderr);
        return kExitError;
    }
    int rc = kExitOk;
    for (const auto &f : files) {
        auto r = audit(f, layout);
        if (!r) {
            std::fprintf(stderr, "sc-audit: %s\n", r.error().c_str());
            rc = std::max(rc, kExitError);
            continue;
        }
        print_report(*r, stdout, verbose);
        if (r->failed())
            rc = std::max(rc, kExitBroken);
        else if (r->trampolines.empty() && require)
            rc = std::max(rc, kExitNoneRequired);
    }
    return rc;
}
