/** ipmi_sim's lan.conf: one BMC at IPMB 0x20 with one LAN channel and one admin user (shared lab NOTES §4). */

export interface IpmiSimLanSettings {
  /** ipmi_sim's instance name (also names its persisted state). */
  name: string;
  host: string;
  port: number;
  /** 32 hex digits. */
  guid: string;
  /** The program ipmi_sim runs for power and boot-device requests; none: it answers them itself. */
  chassisControl?: string;
  /** A TCP port on 127.0.0.1 to connect Serial over LAN to, as to a serial port. */
  solSerialPort?: number;
  user: string;
  password: string;
}

export function ipmiSimLanConf(s: IpmiSimLanSettings): string {
  return `name "${s.name}"
set_working_mc 0x20
  startlan 1
    addr ${s.host} ${s.port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid ${s.guid}
  endlan
${s.chassisControl === undefined ? '' : `  chassis_control "${s.chassisControl}"\n`}${s.solSerialPort === undefined ? '' : `  sol "tcp:127.0.0.1:${s.solSerialPort}" 115200\n`}  user 2 true "${s.user}" "${s.password}" admin 10 none md2 md5 straight
`;
}
