package winservices_test

const (
	scImagePath = `"C:\Program Files (x86)\ScreenConnect Client (0123456789abcdef)\ScreenConnect.ClientService.exe" "?e=Access&y=Guest&h=relay.example.test&p=8041&s=6f1c2a9e-0000-4c1e-9d2b-000000000001&k=BgIAAACkAABSU0Ex+AAA%2Fw%3D%3D&c=Office&c=&c=&c="`
	scName      = "ScreenConnect Client (0123456789abcdef)"
	adImagePath = `"C:\Program Files (x86)\AnyDesk\AnyDesk.exe" --service`
)

// seedReg is imported into Wine's registry by the Linux driver.
const seedReg = `[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Services\AnyDesk]
"DisplayName"="AnyDesk Service"
"ImagePath"="\"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe\" --service"
"Start"=dword:00000002
"Type"=dword:00000010
"ErrorControl"=dword:00000001
"ObjectName"="LocalSystem"

[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Services\ScreenConnect Client (0123456789abcdef)]
"DisplayName"="ScreenConnect Client (0123456789abcdef)"
"ImagePath"="\"C:\\Program Files (x86)\\ScreenConnect Client (0123456789abcdef)\\ScreenConnect.ClientService.exe\" \"?e=Access&y=Guest&h=relay.example.test&p=8041&s=6f1c2a9e-0000-4c1e-9d2b-000000000001&k=BgIAAACkAABSU0Ex+AAA%2Fw%3D%3D&c=Office&c=&c=&c=\""
"Start"=dword:00000002
"Type"=dword:00000010
"ErrorControl"=dword:00000001
"ObjectName"="LocalSystem"

[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Services\ratwatchdrv]
"ImagePath"="system32\\drivers\\ratwatchdrv.sys"
"Start"=dword:00000003
"Type"=dword:00000001
`
