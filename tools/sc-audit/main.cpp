// sc-audit: list and check arm64 static call trampolines in an ELF file.
#include "audit.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace scaudit;

static void usage(FILE *f) {
    std::fprintf(f,
                 "usage: sc-audit [--require] [-v|--verbose] FILE...\n"
                 "  FILE        arm64 vmlinux, module (.ko) or object file\n"
                 "  --require   exit %d when a file has no __SCT__ trampolines\n"
                 "exit status: %d ok (also: no trampolines without --require), %d a broken "
                 "invariant,\n             %d unreadable/not arm64 ELF or usage error, %d none "
                 "found with --require\n",
                 kExitNoneRequired, kExitOk, kExitBroken, kExitError, kExitNoneRequired);
}

int main(int argc, char **argv) {
    bool require = false, verbose = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--require"))
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
        auto r = audit(f);
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
