package service

import "lantian/alert/office"

// WarningsOffice gives tests the service's warning office (to set tokens while config.Config
// has no warnings section yet).
func WarningsOffice(s *Service) *office.Office {
	return s.warnings
}
