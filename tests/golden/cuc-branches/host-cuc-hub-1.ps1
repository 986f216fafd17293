# portmatrix 0.1.0: windows rules for host cuc-hub-1 (10.60.0.11/32)
# deployment: cuc-branches
# load: powershell -ExecutionPolicy Bypass -File FILE (as Administrator)
# flows in: 100; every rule names its catalog ids and document rows
# Other allow rules: KEPT. Windows' own rules and other software's still admit what they
# admit, so the host admits the matrix and more; render with --exact to disable them.
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$group = 'portmatrix'
# Idempotent: remove every rule an earlier run created, then create them again.
Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule
# Default drop on input; established connections are admitted by the stateful firewall.
Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
Set-NetFirewallProfile -Profile Domain,Private,Public -DefaultOutboundAction Block
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv4 8' -Direction Inbound -Action Allow -Protocol ICMPv4 -IcmpType 8 | Out-Null
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv6 128' -Direction Inbound -Action Allow -Protocol ICMPv6 -IcmpType 128 | Out-Null
# local-only: any -> cuc-hub-1
# cuc.speechworks-monitor (000_e0967b9895897e12.txt table 1-1 row 9)
# cuc.tomcat.internal (000_e0967b9895897e12.txt table 1-1 row 28)
# cuc.voice-recognizer (000_e0967b9895897e12.txt table 1-1 row 10)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix local-only tcp 1: cuc.speechworks-monitor, cuc.tomcat.internal, cuc.voice-recognizer' -Direction Inbound -Action Block -Protocol TCP -LocalPort '4900-4904','5001','8005' -Description 'cuc.speechworks-monitor (000_e0967b9895897e12.txt table 1-1 row 9); cuc.tomcat.internal (000_e0967b9895897e12.txt table 1-1 row 28); cuc.voice-recognizer (000_e0967b9895897e12.txt table 1-1 row 10)' | Out-Null
# local-only: any -> cuc-hub-1
# cuc.mixer.speech-recognition (000_e0967b9895897e12.txt table 1-1 row 12)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix local-only udp 2: cuc.mixer.speech-recognition' -Direction Inbound -Action Block -Protocol UDP -LocalPort '7774-7900' -Description 'cuc.mixer.speech-recognition (000_e0967b9895897e12.txt table 1-1 row 12)' | Out-Null
# exch -> cuc-hub-1
# cuc.jetty.ews-notify (000_e0967b9895897e12.txt table 1-1 row 30)
# cuc.smtp (000_e0967b9895897e12.txt table 1-1 row 8)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 1: cuc.jetty.ews-notify, cuc.smtp' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '25','7080','8025' -RemoteAddress '10.50.0.20/32' -Description 'cuc.jetty.ews-notify (000_e0967b9895897e12.txt table 1-1 row 30); cuc.smtp (000_e0967b9895897e12.txt table 1-1 row 8)' | Out-Null
# admins -> cuc-hub-1
# cuc.imap (000_e0967b9895897e12.txt table 1-1 row 7)
# cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16)
# cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 2: cuc.imap, cuc.ssh, cuc.tomcat.web' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '22','80','143','443','993','7993','8080','8143','8443','8993' -RemoteAddress '10.50.8.0/24' -Description 'cuc.imap (000_e0967b9895897e12.txt table 1-1 row 7); cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16); cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)' | Out-Null
# cuc-hub-2 -> cuc-hub-1
# cuc.amc (000_e0967b9895897e12.txt table 1-1 row 26)
# cuc.cisco-db (000_e0967b9895897e12.txt table 1-1 row 22)
# cuc.cisco-db.change-notification (000_e0967b9895897e12.txt table 1-1 row 24)
# cuc.cisco-db.replication (000_e0967b9895897e12.txt table 1-1 row 23)
# cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19)
# cuc.connection-db.cluster (000_e0967b9895897e12.txt table 1-1 row 6)
# cuc.conversation-manager.cluster (000_e0967b9895897e12.txt table 1-1 row 1)
# cuc.license-server (000_e0967b9895897e12.txt table 1-1 row 5)
# cuc.ris-data-collector (000_e0967b9895897e12.txt table 1-1 row 25)
# cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14)
# cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)
# cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16)
# cuc.tomcat.soap (000_e0967b9895897e12.txt table 1-1 row 21)
# cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 3: cuc.amc, cuc.cisco-db, cuc.cisco-db.change-notification, cuc.cisco-db.replication, cuc.cluster-manager, cuc.connection-db.cluster, cuc.conversation-manager.cluster, cuc.license...' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '22','80','443','1090','1099','1500-1503','1515','2555-2556','5007','8001','8080','8443','8500','19003','20055','20500-20502','22000-22001' -RemoteAddress '10.60.0.12/32' -Description 'cuc.amc (000_e0967b9895897e12.txt table 1-1 row 26); cuc.cisco-db (000_e0967b9895897e12.txt table 1-1 row 22); cuc.cisco-db.change-notification (000_e0967b9895897e12.txt table 1-1 row 24); cuc.cisco-db.replication (000_e0967b9895897e12.txt table 1-1 row 23); cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19); cuc.connection-db.cluster (000_e0967b9895897e12.txt table 1-1 row 6); cuc.conversation-manager.cluster (000_e0967b9895897e12.txt table 1-1 row 1); cuc.license-server (000_e0967b9895897e12.txt table 1-1 row 5); cuc.ris-data-collector (000_e0967b9895897e12.txt table 1-1 row 25); cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14); cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13); cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16); cuc.tomcat.soap (000_e0967b9895897e12.txt table 1-1 row 21); cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)' | Out-Null
# gw-nagoya, gw-osaka, ucm-hub -> cuc-hub-1
# cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 4: cuc.conversation-manager.sip' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '5060-5070' -RemoteAddress '10.60.0.21/32','10.61.0.1/32','10.62.0.1/32' -Description 'cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4)' | Out-Null
# phones-nagoya, phones-osaka -> cuc-hub-1
# cuc.conversation-manager.phone-apps (000_e0967b9895897e12.txt table 1-1 row 2)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 5: cuc.conversation-manager.phone-apps' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '21000-21512' -RemoteAddress '10.61.16.0/20','10.62.16.0/20' -Description 'cuc.conversation-manager.phone-apps (000_e0967b9895897e12.txt table 1-1 row 2)' | Out-Null
# ops -> cuc-hub-1
# cuc.snmp (000_e0967b9895897e12.txt table 1-1 row 17)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 6: cuc.snmp' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '161' -RemoteAddress '10.50.0.30/32' -Description 'cuc.snmp (000_e0967b9895897e12.txt table 1-1 row 17)' | Out-Null
# cuc-hub-2 -> cuc-hub-1
# cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19)
# cuc.ntp (000_e0967b9895897e12.txt table 1-1 row 20)
# cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14)
# cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 7: cuc.cluster-manager, cuc.ntp, cuc.srm.heartbeat, cuc.srm.rpc' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '123','8500','22000-22001' -RemoteAddress '10.60.0.12/32' -Description 'cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19); cuc.ntp (000_e0967b9895897e12.txt table 1-1 row 20); cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14); cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)' | Out-Null
# ucm-hub -> cuc-hub-1
# cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 8: cuc.conversation-manager.sip' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '5060-5070' -RemoteAddress '10.60.0.21/32' -Description 'cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4)' | Out-Null
# gw-nagoya, gw-osaka -> cuc-hub-1
# cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4)
# cuc.mixer.rtp (000_e0967b9895897e12.txt table 1-1 row 11)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 9: cuc.conversation-manager.sip, cuc.mixer.rtp' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '5060-5070','16384-21511' -RemoteAddress '10.61.0.1/32','10.62.0.1/32' -Description 'cuc.conversation-manager.sip (000_e0967b9895897e12.txt table 1-1 row 4); cuc.mixer.rtp (000_e0967b9895897e12.txt table 1-1 row 11)' | Out-Null
# phones-nagoya, phones-osaka -> cuc-hub-1
# cuc.mixer.rtp (000_e0967b9895897e12.txt table 1-1 row 11)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 10: cuc.mixer.rtp' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '16384-21511' -RemoteAddress '10.61.16.0/20','10.62.16.0/20' -Description 'cuc.mixer.rtp (000_e0967b9895897e12.txt table 1-1 row 11)' | Out-Null
# cuc-hub-1 -> dc
# cuc.out.dns (000_e0967b9895897e12.txt table 1-2 row 4)
# cuc.out.domain-controller (000_e0967b9895897e12.txt table 1-2 row 5)
# cuc.out.ntp (000_e0967b9895897e12.txt table 1-2 row 13)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 1: cuc.out.dns, cuc.out.domain-controller, cuc.out.ntp' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '53','123','389' -RemoteAddress '10.50.0.10/32' -Description 'cuc.out.dns (000_e0967b9895897e12.txt table 1-2 row 4); cuc.out.domain-controller (000_e0967b9895897e12.txt table 1-2 row 5); cuc.out.ntp (000_e0967b9895897e12.txt table 1-2 row 13)' | Out-Null
# cuc-hub-1 -> exch
# cuc.out.http-external (000_e0967b9895897e12.txt table 1-2 row 6)
# cuc.out.imap-exchange (000_e0967b9895897e12.txt table 1-2 row 8)
# cuc.out.smtp (000_e0967b9895897e12.txt table 1-2 row 9)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 2: cuc.out.http-external, cuc.out.imap-exchange, cuc.out.smtp' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '25','80','143','443','993' -RemoteAddress '10.50.0.20/32' -Description 'cuc.out.http-external (000_e0967b9895897e12.txt table 1-2 row 6); cuc.out.imap-exchange (000_e0967b9895897e12.txt table 1-2 row 8); cuc.out.smtp (000_e0967b9895897e12.txt table 1-2 row 9)' | Out-Null
# cuc-hub-1 -> ops
# cuc.out.ftp (000_e0967b9895897e12.txt table 1-2 row 10)
# cuc.out.sftp (000_e0967b9895897e12.txt table 1-2 row 11)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 3: cuc.out.ftp, cuc.out.sftp' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '21-22' -RemoteAddress '10.50.0.30/32' -Description 'cuc.out.ftp (000_e0967b9895897e12.txt table 1-2 row 10); cuc.out.sftp (000_e0967b9895897e12.txt table 1-2 row 11)' | Out-Null
# cuc-hub-1 -> cuc-hub-2
# cuc.amc (000_e0967b9895897e12.txt table 1-1 row 26)
# cuc.cisco-db (000_e0967b9895897e12.txt table 1-1 row 22)
# cuc.cisco-db.change-notification (000_e0967b9895897e12.txt table 1-1 row 24)
# cuc.cisco-db.replication (000_e0967b9895897e12.txt table 1-1 row 23)
# cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19)
# cuc.connection-db.cluster (000_e0967b9895897e12.txt table 1-1 row 6)
# cuc.conversation-manager.cluster (000_e0967b9895897e12.txt table 1-1 row 1)
# cuc.license-server (000_e0967b9895897e12.txt table 1-1 row 5)
# cuc.ris-data-collector (000_e0967b9895897e12.txt table 1-1 row 25)
# cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14)
# cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)
# cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16)
# cuc.tomcat.soap (000_e0967b9895897e12.txt table 1-1 row 21)
# cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 4: cuc.amc, cuc.cisco-db, cuc.cisco-db.change-notification, cuc.cisco-db.replication, cuc.cluster-manager, cuc.connection-db.cluster, cuc.conversation-manager.cluster, cuc.licens...' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '22','80','443','1090','1099','1500-1503','1515','2555-2556','5007','8001','8080','8443','8500','19003','20055','20500-20502','22000-22001' -RemoteAddress '10.60.0.12/32' -Description 'cuc.amc (000_e0967b9895897e12.txt table 1-1 row 26); cuc.cisco-db (000_e0967b9895897e12.txt table 1-1 row 22); cuc.cisco-db.change-notification (000_e0967b9895897e12.txt table 1-1 row 24); cuc.cisco-db.replication (000_e0967b9895897e12.txt table 1-1 row 23); cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19); cuc.connection-db.cluster (000_e0967b9895897e12.txt table 1-1 row 6); cuc.conversation-manager.cluster (000_e0967b9895897e12.txt table 1-1 row 1); cuc.license-server (000_e0967b9895897e12.txt table 1-1 row 5); cuc.ris-data-collector (000_e0967b9895897e12.txt table 1-1 row 25); cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14); cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13); cuc.ssh (000_e0967b9895897e12.txt table 1-1 row 16); cuc.tomcat.soap (000_e0967b9895897e12.txt table 1-1 row 21); cuc.tomcat.web (000_e0967b9895897e12.txt table 1-1 row 27)' | Out-Null
# cuc-hub-1 -> ucm-hub
# cuc.out.http-networking (000_e0967b9895897e12.txt table 1-2 row 7)
# cuc.out.sccp (000_e0967b9895897e12.txt table 1-2 row 1)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 5: cuc.out.http-networking, cuc.out.sccp' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '80','443','2000','8080','8443' -RemoteAddress '10.60.0.21/32' -Description 'cuc.out.http-networking (000_e0967b9895897e12.txt table 1-2 row 7); cuc.out.sccp (000_e0967b9895897e12.txt table 1-2 row 1)' | Out-Null
# cuc-hub-1 -> dc
# cuc.out.dhcp (000_e0967b9895897e12.txt table 1-2 row 12)
# cuc.out.dns (000_e0967b9895897e12.txt table 1-2 row 4)
# cuc.out.ntp (000_e0967b9895897e12.txt table 1-2 row 13)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 6: cuc.out.dhcp, cuc.out.dns, cuc.out.ntp' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '53','67','123' -RemoteAddress '10.50.0.10/32' -Description 'cuc.out.dhcp (000_e0967b9895897e12.txt table 1-2 row 12); cuc.out.dns (000_e0967b9895897e12.txt table 1-2 row 4); cuc.out.ntp (000_e0967b9895897e12.txt table 1-2 row 13)' | Out-Null
# cuc-hub-1 -> cuc-hub-2
# cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19)
# cuc.ntp (000_e0967b9895897e12.txt table 1-1 row 20)
# cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14)
# cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 7: cuc.cluster-manager, cuc.ntp, cuc.srm.heartbeat, cuc.srm.rpc' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '123','8500','22000-22001' -RemoteAddress '10.60.0.12/32' -Description 'cuc.cluster-manager (000_e0967b9895897e12.txt table 1-1 row 19); cuc.ntp (000_e0967b9895897e12.txt table 1-1 row 20); cuc.srm.heartbeat (000_e0967b9895897e12.txt table 1-1 row 14); cuc.srm.rpc (000_e0967b9895897e12.txt table 1-1 row 13)' | Out-Null
# cuc-hub-1 -> gw-nagoya, gw-osaka, phones-nagoya, phones-osaka
# cuc.out.rtp (000_e0967b9895897e12.txt table 1-2 row 2)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 8: cuc.out.rtp' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '16384-32767' -RemoteAddress '10.61.0.1/32','10.61.16.0/20','10.62.0.1/32','10.62.16.0/20' -Description 'cuc.out.rtp (000_e0967b9895897e12.txt table 1-2 row 2)' | Out-Null
