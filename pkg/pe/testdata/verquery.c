/* Oracle for pe tests: prints the version strings Windows' own
   GetFileVersionInfo/VerQueryValue (Wine's version.dll) returns.
   Output: path \t key \t value, UTF-8. Built and run by pe_test.go. */
#include <windows.h>
#include <stdio.h>

static void out(const wchar_t *w) {
    char buf[4096];
    WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, sizeof buf, NULL, NULL);
    fputs(buf, stdout);
}

int wmain(int argc, wchar_t **argv) {
    static const wchar_t *keys[] = {L"OriginalFilename", L"CompanyName", L"ProductName",
        L"FileVersion", L"ProductVersion", L"FileDescription", L"InternalName", NULL};
    for (int i = 1; i < argc; i++) {
        DWORD h, n = GetFileVersionInfoSizeW(argv[i], &h);
        if (!n) continue;
        void *data = malloc(n);
        if (!GetFileVersionInfoW(argv[i], 0, n, data)) { free(data); continue; }
        struct { WORD lang, cp; } *tr; UINT trn;
        if (!VerQueryValueW(data, L"\\VarFileInfo\\Translation", (void **)&tr, &trn) || trn < 4) { free(data); continue; }
        for (int k = 0; keys[k]; k++) {
            wchar_t q[256]; wchar_t *v; UINT vn;
            swprintf(q, 256, L"\\StringFileInfo\\%04x%04x\\%ls", tr->lang, tr->cp, keys[k]);
            if (VerQueryValueW(data, q, (void **)&v, &vn) && vn > 0) {
                out(argv[i]); fputs("\t", stdout); out(keys[k]); fputs("\t", stdout); out(v); fputs("\n", stdout);
            }
        }
        free(data);
    }
    return 0;
}
