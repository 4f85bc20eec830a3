package execution_test

// BAM value seeded for the user below: AnyDesk run from Downloads at
// 2025-01-03 10:20:30 UTC (FILETIME 133803732300000000, little-endian
// 00 eb 5c 1d c9 5d db 01, followed by the 16 zero bytes Windows writes).
const (
	bamSID   = "S-1-5-21-1111-2222-3333-1001"
	bamPath  = `\Device\HarddiskVolume3\Users\bob\Downloads\AnyDesk.exe`
	bamHex   = "00,eb,5c,1d,c9,5d,db,01,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00"
	bamTime  = "2025-01-03T10:20:30Z"
	amPath   = `c:\users\bob\downloads\anydesk.exe`
	amKey    = "0006a1b2c3d4e5f60000ffff0000000000000001"
	sampleRC = 18
)

const seedReg = `[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Services\bam\State\UserSettings\` + bamSID + `]
"Version"=dword:00000001
"SequenceNumber"=dword:00000005
"` + `\\Device\\HarddiskVolume3\\Users\\bob\\Downloads\\AnyDesk.exe` + `"=hex:` + bamHex + `
`
