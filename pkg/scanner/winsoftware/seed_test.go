package winsoftware_test

// Registry content the Linux driver seeds into a Wine prefix and the
// Windows-side test expects back, exactly.
const seedReg = `[HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk]
"DisplayName"="AnyDesk"
"DisplayVersion"="ad 9.0.5"
"Publisher"="AnyDesk Software GmbH"
"InstallLocation"="\"C:\\Program Files (x86)\\AnyDesk\""
"InstallDate"="20250103"

[HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Uninstall\{11111111-2222-3333-4444-555555555555}]
"SystemComponent"=dword:00000001

[HKEY_LOCAL_MACHINE\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\TeamViewer]
"DisplayName"="TeamViewer"
"DisplayVersion"="15.61.3"
"Publisher"="TeamViewer"
"InstallLocation"="C:\\Program Files (x86)\\TeamViewer"

[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk]
"DisplayName"="RustDesk"
"DisplayVersion"="1.3.2"
"Publisher"="RustDesk"
"InstallDate"="20241130"

[HKEY_CURRENT_USER\Software\Classes\Local Settings\Software\Microsoft\Windows\CurrentVersion\AppModel\Repository\Packages\MicrosoftCorporationII.QuickAssist_2.0.32.0_x64__8wekyb3d8bbwe]
"PackageRootFolder"="C:\\Program Files\\WindowsApps\\MicrosoftCorporationII.QuickAssist_2.0.32.0_x64__8wekyb3d8bbwe"
`

// daveSID is a profile in ProfileList whose hive is not loaded: its
// NTUSER.DAT (a real regf hive built with hivexsh) is read offline.
const daveSID = "S-1-5-21-1111-2222-3333-1004"

// expected packages: manager/name -> source (suffix match for HKU paths).
var expectLive = map[string]string{
	"windows-uninstall/AnyDesk":                             `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\AnyDesk`,
	"windows-uninstall/TeamViewer":                          `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\TeamViewer`,
	"windows-uninstall/RustDesk":                            `\Software\Microsoft\Windows\CurrentVersion\Uninstall\RustDesk`,
	"windows-uninstall/UltraViewer":                         `C:\users\dave\NTUSER.DAT:\Software\Microsoft\Windows\CurrentVersion\Uninstall\UltraViewer_is1`,
	"msix/MicrosoftCorporationII.QuickAssist_8wekyb3d8bbwe": `\Classes\Local Settings\Software\Microsoft\Windows\CurrentVersion\AppModel\Repository\Packages\MicrosoftCorporationII.QuickAssist_2.0.32.0_x64__8wekyb3d8bbwe`,
}
